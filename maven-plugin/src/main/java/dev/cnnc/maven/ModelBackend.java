package dev.cnnc.maven;

import dev.cnnc.compiler.emit.JavaBackend;
import dev.cnnc.compiler.emit.OpenClBackend;
import dev.cnnc.compiler.model.CheckedModel;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/** What the plugin writes for one checked model; a new backend is one more constant here. */
enum ModelBackend {
    JAVA, OPENCL, BOTH;

    /** A file to write, by its path under the output folder ('/'-separated). */
    record GeneratedFile(String path, String content) {
    }

    static ModelBackend parse(String name) {
        try {
            return valueOf(name.trim().toUpperCase(Locale.ROOT));
        } catch (IllegalArgumentException e) {
            return null;
        }
    }

    List<GeneratedFile> generate(CheckedModel model, String packageName, boolean vector) {
        List<GeneratedFile> files = new ArrayList<>();
        if (this == JAVA || this == BOTH) {
            String source = JavaBackend.source(model, packageName, new JavaBackend.Options(vector, true)).toString();
            files.add(new GeneratedFile(folder(packageName) + model.name() + ".java", source));
        }
        if (this == OPENCL || this == BOTH) {
            // The host class embeds its kernels; the .cl file beside it is for reading.
            OpenClBackend.Sources cl = OpenClBackend.sources(model, packageName, true);
            files.add(new GeneratedFile(folder(packageName) + cl.host().typeSpec().name() + ".java", cl.host().toString()));
            files.add(new GeneratedFile(folder(packageName) + cl.kernelFileName(), cl.kernels()));
        }
        return files;
    }

    static String folder(String packageName) {
        return packageName.isEmpty() ? "" : packageName.replace('.', '/') + "/";
    }
}
