package dev.cnnc.cli;

import dev.cnnc.runtime.opencl.OpenClDevices;
import java.io.PrintWriter;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;

@Command(name = "devices", header = "List the OpenCL platforms and devices.", description = "List the OpenCL platforms and devices (numbered as --device N will take them).")
final class DevicesCommand implements Callable<Integer> {
    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @picocli.CommandLine.Mixin
    HelpOption help;

    @Override
    public Integer call() {
        PrintWriter out = spec.commandLine().getOut();
        List<OpenClDevices.Device> devices;
        try {
            devices = OpenClDevices.list();
        } catch (OpenClDevices.Unavailable e) {
            spec.commandLine().getErr().println("cnnc: error: " + e.getMessage());
            return Main.FILE_ERRORS;
        }
        String platform = null;
        for (OpenClDevices.Device d : devices) {
            if (!d.platform().equals(platform)) {
                platform = d.platform();
                out.println(d.platform() + " (" + d.platformVersion() + ")");
            }
            out.printf(Locale.ROOT, "  %d: %s, %s, %s; %d compute units, work groups up to %d, %,d KiB local, %,d MiB global, float%d vectors%n",
                    d.index(), d.name(), d.type(), d.version(), d.computeUnits(), d.maxWorkGroupSize(), d.localMemory() / 1024,
                    d.globalMemory() >> 20, d.preferredFloatWidth());
            out.println("     " + dev.cnnc.runtime.opencl.OpenClContext.productPlan(d));
        }
        return Main.OK;
    }
}
