package dev.cnnc.compiler.emit.java;

import com.palantir.javapoet.JavaFile;
import java.io.ByteArrayOutputStream;
import java.io.OutputStream;
import java.io.StringWriter;
import java.net.URI;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import javax.tools.DiagnosticCollector;
import javax.tools.FileObject;
import javax.tools.ForwardingJavaFileManager;
import javax.tools.JavaCompiler;
import javax.tools.JavaFileObject;
import javax.tools.SimpleJavaFileObject;
import javax.tools.StandardJavaFileManager;
import javax.tools.ToolProvider;

/**
 * Compiles generated sources in memory and loads them, for {@code cnnc train}, {@code cnnc
 * gradcheck} and the tests: the same source {@code cnnc compile} writes, compiled by the
 * JDK's javac against the running class path.
 */
public final class InMemoryJavac {
    /** javac refused the source (a bug in the emitter) or no compiler is available. */
    public static final class Failure extends Exception {
        public Failure(String message) {
            super(message);
        }
    }

    private InMemoryJavac() {
    }

    /** Compiles the files together and returns their classes by qualified name. */
    public static Map<String, Class<?>> compile(List<JavaFile> files) throws Failure {
        JavaCompiler javac = ToolProvider.getSystemJavaCompiler();
        if (javac == null) {
            throw new Failure("no Java compiler in this runtime: run cnnc with a JDK (not a JRE), version 17 or newer");
        }
        List<JavaFileObject> sources = new ArrayList<>();
        for (JavaFile f : files) {
            String name = (f.packageName().isEmpty() ? "" : f.packageName() + ".") + f.typeSpec().name();
            sources.add(new Source(name, f.toString()));
        }
        Map<String, ByteArrayOutputStream> classes = new HashMap<>();
        DiagnosticCollector<JavaFileObject> diagnostics = new DiagnosticCollector<>();
        StandardJavaFileManager standard = javac.getStandardFileManager(diagnostics, null, null);
        ForwardingJavaFileManager<StandardJavaFileManager> manager = new ForwardingJavaFileManager<>(standard) {
            @Override
            public JavaFileObject getJavaFileForOutput(Location location, String className, JavaFileObject.Kind kind, FileObject sibling) {
                return new SimpleJavaFileObject(URI.create("mem:///" + className.replace('.', '/') + kind.extension), kind) {
                    @Override
                    public OutputStream openOutputStream() {
                        ByteArrayOutputStream out = new ByteArrayOutputStream();
                        classes.put(className, out);
                        return out;
                    }
                };
            }
        };
        List<String> options = List.of("--release", "17", "--add-modules", "jdk.incubator.vector", "-proc:none", "-nowarn",
                "-Xlint:none", "-classpath", classPath());
        StringWriter out = new StringWriter();
        boolean ok = javac.getTask(out, manager, diagnostics, options, null, sources).call();
        if (!ok) {
            StringBuilder b = new StringBuilder("generated code did not compile (a cnnc bug):\n");
            diagnostics.getDiagnostics().stream().filter(d -> d.getKind() == javax.tools.Diagnostic.Kind.ERROR).limit(10)
                    .forEach(d -> b.append(d.getSource() == null ? "" : d.getSource().getName()).append(':').append(d.getLineNumber())
                            .append(": ").append(d.getMessage(null)).append('\n'));
            throw new Failure(b.toString());
        }
        ClassLoader loader = new ClassLoader(InMemoryJavac.class.getClassLoader()) {
            @Override
            protected Class<?> findClass(String name) throws ClassNotFoundException {
                ByteArrayOutputStream bytes = classes.get(name);
                if (bytes == null) {
                    throw new ClassNotFoundException(name);
                }
                byte[] b = bytes.toByteArray();
                return defineClass(name, b, 0, b.length);
            }
        };
        Map<String, Class<?>> loaded = new HashMap<>();
        for (JavaFileObject s : sources) {
            String name = ((Source) s).className;
            try {
                loaded.put(name, loader.loadClass(name));
            } catch (ClassNotFoundException e) {
                throw new Failure("compiled class " + name + " is missing");
            }
        }
        return loaded;
    }

    /**
     * The running class path, and the jars of the runtime and the compiler where they were loaded
     * from elsewhere: a Spark executor loads an application's jars in a class loader of its own,
     * outside java.class.path, and the generated code compiles against the runtime's classes.
     */
    static String classPath() {
        java.util.LinkedHashSet<String> entries = new java.util.LinkedHashSet<>(List.of(System.getProperty("java.class.path").split(java.io.File.pathSeparator)));
        for (Class<?> c : List.of(dev.cnnc.runtime.Network.class, InMemoryJavac.class)) {
            java.security.CodeSource source = c.getProtectionDomain().getCodeSource();
            if (source != null && source.getLocation() != null && "file".equals(source.getLocation().getProtocol())) {
                try {
                    entries.add(java.nio.file.Path.of(source.getLocation().toURI()).toString());
                } catch (java.net.URISyntaxException | IllegalArgumentException e) {
                    // a location that is not a plain file adds nothing; javac then reports what it misses
                }
            }
        }
        entries.remove("");
        return String.join(java.io.File.pathSeparator, entries);
    }

    private static final class Source extends SimpleJavaFileObject {
        final String className;
        private final String code;

        Source(String className, String code) {
            super(URI.create("string:///" + className.replace('.', '/') + Kind.SOURCE.extension), Kind.SOURCE);
            this.className = className;
            this.code = code;
        }

        @Override
        public CharSequence getCharContent(boolean ignoreEncodingErrors) {
            return code;
        }
    }
}
