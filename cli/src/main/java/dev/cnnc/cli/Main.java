package dev.cnnc.cli;

import java.io.PrintWriter;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/**
 * {@code cnnc}: exit 0 on success, 1 when a user's file has errors, 2 for a wrong command line.
 * Nothing a user does produces a stack trace; set CNNC_DEBUG=1 to see one for an internal error.
 */
@Command(name = "cnnc",
        mixinStandardHelpOptions = true,
        versionProvider = Main.Version.class,
        description = "A compiler for convolutional neural networks.",
        subcommands = {CheckCommand.class, CompileCommand.class, TrainCommand.class, GradcheckCommand.class, BenchCommand.class, PredictCommand.class, ExportCommand.class, ImportCommand.class, DevicesCommand.class, VizCommand.class,
                CommandLine.HelpCommand.class})
public final class Main implements Runnable {
    public static final int OK = 0;
    public static final int FILE_ERRORS = 1;
    public static final int USAGE = 2;

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    public static void main(String[] args) {
        System.exit(run(args, new PrintWriter(System.out, true), new PrintWriter(System.err, true)));
    }

    /** Runs the command line with the given streams; used by main and by tests. */
    public static int run(String[] args, PrintWriter out, PrintWriter err) {
        // charts and images are drawn off screen: never ask for a display
        System.setProperty("java.awt.headless", "true");
        CommandLine cli = new CommandLine(new Main());
        cli.setOut(out);
        cli.setErr(err);
        // A wrong command line: one line naming the flag and the problem, and where to read more.
        cli.setParameterExceptionHandler((e, args1) -> {
            CommandLine c = e.getCommandLine();
            c.getErr().println("cnnc: error: " + dev.cnnc.runtime.io.IoMessages.lowerFirst(e.getMessage()));
            c.getErr().println("  see: " + c.getCommandSpec().qualifiedName() + " --help");
            return USAGE;
        });
        cli.setExecutionExceptionHandler((e, commandLine, parseResult) -> {
            if (System.getenv("CNNC_DEBUG") != null) {
                e.printStackTrace(err);
            }
            err.println("cnnc: internal error: " + e.getClass().getSimpleName() + (e.getMessage() == null ? "" : ": " + e.getMessage()));
            err.println("  please report this; set CNNC_DEBUG=1 for details");
            return 70; // EX_SOFTWARE: a bug in cnnc, not in the user's input
        });
        int code;
        try {
            code = cli.execute(args);
        } catch (OutOfMemoryError e) {
            // what the estimate before the run (MemoryCheck) did not foresee: a clear line, not a stack trace
            err.println("cnnc: error: out of memory (the Java heap is " + dev.cnnc.compiler.report.MemoryEstimate.human(Runtime.getRuntime().maxMemory())
                    + "); give Java more with CNNC_JAVA_OPTS=-Xmx<size>, e.g. -Xmx" + Math.max(2, 2 * (Runtime.getRuntime().maxMemory() >> 30) + 1)
                    + "g, or lower --batch");
            code = FILE_ERRORS;
        }
        out.flush();
        err.flush();
        return code;
    }

    @Override
    public void run() {
        // "cnnc" alone: show what it can do.
        throw new CommandLine.ParameterException(spec.commandLine(), "missing command");
    }

    /** The project's version (filtered into version.properties at build time) and the commit the launcher read from git. */
    static final class Version implements CommandLine.IVersionProvider {
        @Override
        public String[] getVersion() throws java.io.IOException {
            java.util.Properties p = new java.util.Properties();
            try (var in = Main.class.getResourceAsStream("version.properties")) {
                if (in != null) {
                    p.load(in);
                }
            }
            String commit = System.getProperty("cnnc.commit", "");
            return new String[] {"cnnc " + p.getProperty("version", "(unknown version)")
                    + (commit.isEmpty() ? " (commit unknown: not run from a git checkout)" : " (commit " + commit + ")"),
                    "Java " + System.getProperty("java.version") + " (" + System.getProperty("java.vm.name") + ")"};
        }
    }
}
