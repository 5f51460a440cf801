package dev.cnnc.maven;

import dev.cnnc.compiler.CheckResult;
import dev.cnnc.compiler.Frontend;
import dev.cnnc.compiler.SourceFiles;
import dev.cnnc.compiler.diag.Diagnostic;
import dev.cnnc.compiler.diag.DiagnosticRenderer;
import dev.cnnc.compiler.diag.SourceFile;
import dev.cnnc.maven.ModelSources.ModelSource;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryNotEmptyException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;

/**
 * The plugin's work without Maven: check every .cnn under the source folder and write the
 * sources of those that changed since the last run, remove those of deleted files, report
 * every problem. Kept free of Maven types so it is tested directly.
 */
final class Generator {
    /**
     * @param shownBase paths in messages are shown relative to this (the project folder)
     * @param fingerprint the settings and plugin build; when it changes everything is regenerated
     */
    record Settings(Path sourceDir, Path outputDir, Path stateFile, Path shownBase, String packageName,
                    ModelBackend backend, boolean vector, String fingerprint, List<Path> otherSourceRoots) {
        Settings {
            otherSourceRoots = List.copyOf(otherSourceRoots);
        }

        /** Without other source roots to compare against (a project with no hand-written Java). */
        Settings(Path sourceDir, Path outputDir, Path stateFile, Path shownBase, String packageName, ModelBackend backend, boolean vector,
                 String fingerprint) {
            this(sourceDir, outputDir, stateFile, shownBase, packageName, backend, vector, fingerprint, List.of());
        }
    }

    /** What one run did, by .cnn path under the source folder. */
    record Outcome(List<String> generated, List<String> upToDate, List<String> removed, List<Problem> problems) {
        boolean failed() {
            return problems.stream().anyMatch(Problem::error);
        }
    }

    private final Settings settings;
    private final Consumer<Path> changed;

    /** @param changed told of every file written or deleted, so an IDE can refresh it */
    Generator(Settings settings, Consumer<Path> changed) {
        this.settings = settings;
        this.changed = changed;
    }

    Outcome run() throws IOException {
        List<ModelSource> sources = ModelSources.scan(settings.sourceDir(), settings.packageName());
        GenerationState previous = GenerationState.load(settings.stateFile());
        boolean sameSettings = previous.fingerprint().equals(settings.fingerprint());
        Map<String, GenerationState.Entry> next = new LinkedHashMap<>();
        List<String> generated = new ArrayList<>();
        List<String> upToDate = new ArrayList<>();
        List<String> removed = new ArrayList<>();
        List<Problem> problems = new ArrayList<>();

        Map<String, ModelSource> present = new LinkedHashMap<>();
        sources.forEach(s -> present.put(s.relative(), s));
        for (Map.Entry<String, GenerationState.Entry> old : previous.entries().entrySet()) {
            if (!present.containsKey(old.getKey())) {
                delete(old.getValue().outputs());
                removed.add(old.getKey());
            }
        }

        // Which .cnn wrote each output, so two models that would write one class are an error, not a silent overwrite.
        Map<String, String> owners = new LinkedHashMap<>();
        for (ModelSource source : sources) {
            byte[] bytes = Files.readAllBytes(source.file());
            String sha = sha256(bytes);
            GenerationState.Entry old = previous.entries().get(source.relative());
            if (sameSettings && old != null && old.sha256().equals(sha) && allExist(old.outputs()) && unowned(old.outputs(), owners)) {
                old.outputs().forEach(o -> owners.put(o, source.relative()));
                next.put(source.relative(), old);
                upToDate.add(source.relative());
                continue;
            }
            if (old != null) {
                delete(old.outputs());
            }
            List<ModelBackend.GeneratedFile> files = compile(source, problems);
            if (files == null) {
                continue; // not recorded: the next build checks it again
            }
            // A class of the same name written by hand: javac would report a "duplicate class" in generated code.
            Path ownOutput = settings.outputDir().toAbsolutePath().normalize();
            Path handWritten = files.stream().flatMap(f -> settings.otherSourceRoots().stream()
                            .filter(r -> !r.toAbsolutePath().normalize().equals(ownOutput)).map(r -> r.resolve(f.path())))
                    .filter(Files::exists).findFirst().orElse(null);
            if (handWritten != null) {
                problems.add(problem(source, 1, 1, "this model would generate " + files.get(0).path() + ", but " + shown(handWritten)
                        + " already defines that class; rename the model (its 'model' line names the class) or generate into another"
                        + " package (<packageName>)", true));
                continue;
            }
            String clash = files.stream().map(f -> owners.get(f.path())).filter(o -> o != null).findFirst().orElse(null);
            if (clash != null) {
                problems.add(problem(source, 1, 1, "this model would generate " + files.get(0).path() + ", which "
                        + clash + " generates too; give one of them another model name or put it in another folder", true));
                continue;
            }
            List<String> outputs = new ArrayList<>();
            for (ModelBackend.GeneratedFile file : files) {
                Path target = settings.outputDir().resolve(file.path());
                Files.createDirectories(target.getParent());
                Files.writeString(target, file.content(), StandardCharsets.UTF_8);
                changed.accept(target);
                outputs.add(file.path());
                owners.put(file.path(), source.relative());
            }
            next.put(source.relative(), new GenerationState.Entry(sha, outputs));
            generated.add(source.relative());
        }
        new GenerationState(settings.fingerprint(), next).save(settings.stateFile());
        return new Outcome(generated, upToDate, removed, problems);
    }

    /** The generated files, or null when the .cnn has errors (reported into {@code problems}). */
    private List<ModelBackend.GeneratedFile> compile(ModelSource source, List<Problem> problems) {
        String packageProblem = ModelSources.packageProblem(source.packageName());
        if (packageProblem != null) {
            problems.add(problem(source, 1, 1, "cannot generate Java into package '" + source.packageName() + "': "
                    + packageProblem + "; rename the folder or set <packageName> in the plugin's configuration", true));
            return null;
        }
        SourceFile file;
        try {
            file = SourceFiles.read(source.file());
        } catch (SourceFiles.Unreadable e) {
            problems.add(problem(source, 1, 1, e.getMessage(), true));
            return null;
        }
        file = new SourceFile(shown(source.file()), file.text());
        CheckResult result = Frontend.check(file);
        for (Diagnostic d : result.diagnostics()) {
            problems.add(new Problem(source.file(), shown(source.file()), d.span().line(), d.span().column(),
                    d.message() + " [" + d.code() + "]" + (d.hint() == null ? "" : " (hint: " + d.hint() + ")"),
                    d.isError(), DiagnosticRenderer.render(d, file)));
        }
        if (!result.ok()) {
            return null;
        }
        return settings.backend().generate(result.model(), source.packageName(), settings.vector());
    }

    private Problem problem(ModelSource source, int line, int column, String message, boolean error) {
        String shown = shown(source.file());
        return new Problem(source.file(), shown, line, column, message, error,
                shown + ":" + line + ":" + column + ": " + (error ? "error: " : "warning: ") + message);
    }

    private String shown(Path file) {
        Path base = settings.shownBase();
        Path path = base != null && file.toAbsolutePath().startsWith(base.toAbsolutePath())
                ? base.toAbsolutePath().relativize(file.toAbsolutePath()) : file;
        return path.toString();
    }

    private boolean allExist(List<String> outputs) {
        return outputs.stream().allMatch(o -> Files.isRegularFile(settings.outputDir().resolve(o)));
    }

    private static boolean unowned(List<String> outputs, Map<String, String> owners) {
        return outputs.stream().noneMatch(owners::containsKey);
    }

    private void delete(List<String> outputs) throws IOException {
        for (String output : outputs) {
            Path file = settings.outputDir().resolve(output);
            if (Files.deleteIfExists(file)) {
                changed.accept(file);
            }
            removeEmptyFolders(file.getParent());
        }
    }

    private void removeEmptyFolders(Path folder) throws IOException {
        Path root = settings.outputDir().toAbsolutePath().normalize();
        for (Path f = folder.toAbsolutePath().normalize(); f != null && f.startsWith(root) && !f.equals(root); f = f.getParent()) {
            try {
                Files.deleteIfExists(f);
            } catch (DirectoryNotEmptyException e) {
                return;
            }
        }
    }

    static String sha256(byte[] bytes) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("every JDK has SHA-256", e);
        }
    }
}
