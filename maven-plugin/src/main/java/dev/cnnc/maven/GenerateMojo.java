package dev.cnnc.maven;

import java.io.File;
import java.io.IOException;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import org.apache.maven.model.Dependency;
import org.apache.maven.plugin.AbstractMojo;
import org.apache.maven.plugin.MojoExecutionException;
import org.apache.maven.plugin.MojoFailureException;
import org.apache.maven.plugin.descriptor.PluginDescriptor;
import org.apache.maven.plugins.annotations.Component;
import org.apache.maven.plugins.annotations.LifecyclePhase;
import org.apache.maven.plugins.annotations.Mojo;
import org.apache.maven.plugins.annotations.Parameter;
import org.apache.maven.project.MavenProject;
import org.codehaus.plexus.build.BuildContext;

/**
 * Compiles the project's .cnn files into Java sources and adds them to the compile source
 * roots. Only .cnn files that changed since the last build are compiled again.
 */
@Mojo(name = "generate", defaultPhase = LifecyclePhase.GENERATE_SOURCES, threadSafe = true)
public final class GenerateMojo extends AbstractMojo {
    /** Where the .cnn files are; sub-folders give the Java package (com/example/net.cnn: com.example). */
    @Parameter(property = "cnnc.sourceDirectory", defaultValue = "${project.basedir}/src/main/cnn")
    File sourceDirectory;

    /** Where the generated sources go; added to the project's compile source roots. */
    @Parameter(property = "cnnc.outputDirectory", defaultValue = "${project.build.directory}/generated-sources/cnnc")
    File outputDirectory;

    /** One Java package for every model, instead of the package from each file's folder. */
    @Parameter(property = "cnnc.packageName")
    String packageName;

    /** What to generate: java (default), opencl, or both. */
    @Parameter(property = "cnnc.backend", defaultValue = "java")
    String backend;

    /** vector (the Vector API kernels, the default; run with --add-modules jdk.incubator.vector) or none (plain Java). */
    @Parameter(property = "cnnc.simd", defaultValue = "vector")
    String simd;

    /** Skips the goal: nothing is generated and no source root is added. */
    @Parameter(property = "cnnc.skip", defaultValue = "false")
    boolean skip;

    /** What the last build generated, for incremental builds. */
    @Parameter(defaultValue = "${project.build.directory}/cnnc-state/${mojoExecution.executionId}.properties", readonly = true)
    File stateFile;

    @Parameter(defaultValue = "${project}", readonly = true, required = true)
    MavenProject project;

    @Parameter(defaultValue = "${plugin}", readonly = true)
    PluginDescriptor plugin;

    @Component
    BuildContext buildContext;

    @Override
    public void execute() throws MojoExecutionException, MojoFailureException {
        if (skip) {
            getLog().info("cnnc: skipped (cnnc.skip)");
            return;
        }
        ModelBackend chosenBackend = ModelBackend.parse(backend);
        if (chosenBackend == null) {
            throw new MojoExecutionException("cnnc: <backend>" + backend + "</backend> is not one of java, opencl, both");
        }
        String simdMode = simd.trim().toLowerCase(Locale.ROOT);
        if (!simdMode.equals("vector") && !simdMode.equals("none")) {
            throw new MojoExecutionException("cnnc: <simd>" + simd + "</simd> is not one of vector, none");
        }
        if (packageName != null && ModelSources.packageProblem(packageName.trim()) != null) {
            throw new MojoExecutionException("cnnc: <packageName>" + packageName + "</packageName> is not a Java package name: "
                    + ModelSources.packageProblem(packageName.trim()));
        }
        warnWithoutRuntime(chosenBackend);
        Path base = project.getBasedir().toPath();
        Generator.Settings settings = new Generator.Settings(sourceDirectory.toPath(), outputDirectory.toPath(), stateFile.toPath(),
                base, packageName == null ? null : packageName.trim(), chosenBackend, simdMode.equals("vector"),
                fingerprint(chosenBackend, simdMode), project.getCompileSourceRoots().stream().map(Path::of)
                        .filter(p -> !p.toAbsolutePath().normalize().equals(outputDirectory.toPath().toAbsolutePath().normalize())).toList());
        Generator.Outcome outcome;
        try {
            outcome = new Generator(settings, path -> buildContext.refresh(path.toFile())).run();
        } catch (IOException e) {
            throw new MojoExecutionException("cnnc: " + e.getMessage(), e);
        }
        project.addCompileSourceRoot(outputDirectory.getPath());
        report(outcome);
    }

    private void report(Generator.Outcome outcome) throws MojoFailureException {
        for (String source : outcome.generated()) {
            buildContext.removeMessages(sourceDirectory.toPath().resolve(source).toFile());
        }
        // The command-line build context only logs what it is given, in its own format; there we
        // log cnnc's report (source line, caret, hint) instead. An IDE's context places markers.
        boolean commandLine = buildContext.getClass() == org.codehaus.plexus.build.DefaultBuildContext.class;
        for (Problem p : outcome.problems()) {
            if (commandLine) {
                for (String line : p.rendered().split("\n")) {
                    if (p.error()) {
                        getLog().error(line);
                    } else {
                        getLog().warn(line);
                    }
                }
            } else {
                buildContext.addMessage(p.file().toFile(), p.line(), p.column(), p.message(),
                        p.error() ? BuildContext.SEVERITY_ERROR : BuildContext.SEVERITY_WARNING, null);
            }
        }
        String where = project.getBasedir().toPath().relativize(outputDirectory.toPath().toAbsolutePath()).toString();
        if (outcome.generated().isEmpty() && outcome.removed().isEmpty() && !outcome.failed()) {
            getLog().info("cnnc: nothing to generate, " + count(outcome.upToDate().size(), "model is", "models are") + " up to date (" + where + ")");
        } else {
            getLog().info("cnnc: generated " + count(outcome.generated().size(), "model", "models") + ", "
                    + outcome.upToDate().size() + " up to date, " + outcome.removed().size() + " removed (" + where + ")");
            outcome.generated().forEach(s -> getLog().info("cnnc:   generated from " + s));
            outcome.removed().forEach(s -> getLog().info("cnnc:   removed the sources of " + s));
        }
        if (outcome.failed()) {
            List<Problem> errors = outcome.problems().stream().filter(Problem::error).toList();
            long files = errors.stream().map(Problem::file).distinct().count();
            StringBuilder message = new StringBuilder("cnnc found " + count(errors.size(), "error", "errors") + " in "
                    + count((int) files, ".cnn file", ".cnn files") + ":");
            errors.forEach(p -> message.append("\n").append(p.oneLine()));
            throw new MojoFailureException(message.toString());
        }
    }

    /** Generated code links against cnnc-runtime; without it the user would get a page of javac errors. */
    private void warnWithoutRuntime(ModelBackend chosen) {
        String needed = chosen == ModelBackend.JAVA ? "cnnc-runtime" : "cnnc-runtime-opencl";
        boolean has = project.getDependencies().stream().map(Dependency::getArtifactId).anyMatch(needed::equals);
        if (!has) {
            getLog().warn("cnnc: the generated sources need " + needed + "; add to <dependencies>: <dependency><groupId>dev.cnnc</groupId>"
                    + "<artifactId>" + needed + "</artifactId><version>" + pluginVersion() + "</version></dependency>");
        }
    }

    private String fingerprint(ModelBackend chosenBackend, String simdMode) {
        return "backend=" + chosenBackend + ";simd=" + simdMode + ";package=" + packageName + ";plugin=" + pluginVersion() + ";build=" + pluginBuild();
    }

    private String pluginVersion() {
        return plugin == null ? "dev" : plugin.getVersion();
    }

    /** Size and time of the plugin's jar, so a rebuilt snapshot of the plugin regenerates everything. */
    private static String pluginBuild() {
        try {
            Path jar = Path.of(GenerateMojo.class.getProtectionDomain().getCodeSource().getLocation().toURI());
            return Files.size(jar) + "@" + Files.getLastModifiedTime(jar).toMillis();
        } catch (URISyntaxException | IOException | RuntimeException e) {
            return "unknown";
        }
    }

    private static String count(int n, String one, String many) {
        return n + " " + (n == 1 ? one : many);
    }
}
