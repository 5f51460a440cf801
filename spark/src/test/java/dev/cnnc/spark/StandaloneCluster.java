package dev.cnnc.spark;

import java.io.IOException;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.jar.JarEntry;
import java.util.jar.JarOutputStream;
import java.util.stream.Stream;

/**
 * A Spark standalone cluster on loopback, every part its own JVM as on real machines: a master,
 * workers of one core each, and jobs submitted with Spark's own SparkSubmit (what spark-submit
 * runs). Spark's jars are the ones Maven fetched (a SPARK_HOME of links to them); the application
 * goes in as jars, as a user's would.
 */
final class StandaloneCluster implements AutoCloseable {
    /** What Spark opens on Java 17 (spark-submit adds the same). */
    static final List<String> OPENS = List.of("--add-opens=java.base/java.lang=ALL-UNNAMED", "--add-opens=java.base/java.lang.invoke=ALL-UNNAMED",
            "--add-opens=java.base/java.lang.reflect=ALL-UNNAMED", "--add-opens=java.base/java.io=ALL-UNNAMED",
            "--add-opens=java.base/java.net=ALL-UNNAMED", "--add-opens=java.base/java.nio=ALL-UNNAMED", "--add-opens=java.base/java.util=ALL-UNNAMED",
            "--add-opens=java.base/java.util.concurrent=ALL-UNNAMED", "--add-opens=java.base/java.util.concurrent.atomic=ALL-UNNAMED",
            "--add-opens=java.base/jdk.internal.ref=ALL-UNNAMED", "--add-opens=java.base/sun.nio.ch=ALL-UNNAMED",
            "--add-opens=java.base/sun.nio.cs=ALL-UNNAMED", "--add-opens=java.base/sun.security.action=ALL-UNNAMED",
            "--add-opens=java.base/sun.util.calendar=ALL-UNNAMED");
    private static final String WORKER_TIMEOUT = "-Dspark.worker.timeout=15";
    private final Path home;
    private final Path logs;
    private final List<Process> daemons = new ArrayList<>();
    private final java.util.Map<Integer, Process> workerProcesses = new java.util.HashMap<>();
    private final Path dir;
    final String master;
    private final List<String> applicationJars;
    private final Path applicationJar;

    StandaloneCluster(Path dir, int workers) throws IOException, InterruptedException {
        this.home = dir.resolve("spark-home");
        this.logs = dir.resolve("logs");
        Files.createDirectories(home.resolve("jars"));
        Files.createDirectories(logs);
        for (String jar : classPath("spark-classpath.txt")) {
            Path link = home.resolve("jars").resolve(Path.of(jar).getFileName());
            if (!Files.exists(link)) {
                Files.createSymbolicLink(link, Path.of(jar).toAbsolutePath());
            }
        }
        applicationJars = new ArrayList<>();
        for (String entry : classPath("application-classpath.txt")) {
            applicationJars.add(asJar(Path.of(entry), dir).toString());
        }
        applicationJar = asJar(Path.of("target", "classes"), dir);
        int port = freePort();
        master = "spark://127.0.0.1:" + port;
        this.dir = dir;
        // a worker that stops sending heartbeats counts as lost after 15 s (Spark's default: 60); the workers, told the
        // same, send one every 15/4 s
        daemons.add(start("master", List.of(WORKER_TIMEOUT, "org.apache.spark.deploy.master.Master", "--host", "127.0.0.1",
                "--port", Integer.toString(port), "--webui-port", Integer.toString(freePort()))));
        awaitLog("master", "I have been elected leader", 60);
        for (int w = 1; w <= workers; w++) {
            startWorker(w);
        }
        for (int w = 1; w <= workers; w++) {
            awaitLog("worker" + w, "Successfully registered with master", 60);
        }
    }

    /** Starts worker number w (one core), its log in logs/workerW.log; returns without waiting for it to register. */
    void startWorker(int w) throws IOException {
        Process p = start("worker" + w, List.of(WORKER_TIMEOUT, "org.apache.spark.deploy.worker.Worker", "--host", "127.0.0.1", "--cores", "1", "--memory",
                "2g", "--webui-port", Integer.toString(freePort()), "--work-dir", dir.resolve("work" + w).toAbsolutePath().toString(), master));
        daemons.add(p);
        workerProcesses.put(w, p);
    }

    /** Kills worker w's daemon JVM and the executors it started, with SIGKILL: a machine that dies. */
    void killWorker(int w) {
        Process p = workerProcesses.get(w);
        List<ProcessHandle> children = p.descendants().toList();
        p.destroyForcibly();
        children.forEach(ProcessHandle::destroyForcibly);
    }

    /** Submits cnnc-spark's Main with these arguments (client mode: the driver is the submitting JVM); its output goes to logs/NAME.log. */
    Process submit(String name, List<String> args) throws IOException {
        List<String> command = new ArrayList<>(List.of("org.apache.spark.deploy.SparkSubmit", "--master", master, "--conf", "spark.cores.max=2",
                "--conf", "spark.executor.cores=1", "--conf", "spark.executor.memory=1g", "--conf", "spark.ui.enabled=false",
                "--jars", String.join(",", applicationJars), "--class", "dev.cnnc.spark.Main", applicationJar.toString()));
        command.addAll(args);
        List<String> jvm = new ArrayList<>(List.of("--add-modules=jdk.incubator.vector"));
        jvm.addAll(command);
        return start(name, jvm);
    }

    Path log(String name) {
        return logs.resolve(name + ".log");
    }

    String read(String name) throws IOException {
        return Files.readString(log(name), StandardCharsets.UTF_8);
    }

    /** The executors' JVMs (children of the workers), which a test kills. */
    List<ProcessHandle> executors() {
        return daemons.stream().flatMap(Process::descendants).filter(p -> p.info().commandLine().orElse("").contains("CoarseGrainedExecutorBackend"))
                .toList();
    }

    private Process start(String name, List<String> arguments) throws IOException {
        List<String> command = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-Xmx1g"));
        command.addAll(OPENS);
        arguments.stream().takeWhile(a -> a.startsWith("-D")).forEach(command::add);
        arguments = arguments.stream().dropWhile(a -> a.startsWith("-D")).toList();
        command.add("-cp");
        command.add(home.resolve("jars").toAbsolutePath() + "/*");
        command.addAll(arguments);
        ProcessBuilder builder = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(log(name).toFile());
        builder.environment().put("SPARK_HOME", home.toAbsolutePath().toString());
        builder.environment().put("SPARK_SCALA_VERSION", "2.13");
        builder.environment().put("SPARK_LOCAL_IP", "127.0.0.1");
        return builder.start();
    }

    private void awaitLog(String name, String line, int seconds) throws IOException, InterruptedException {
        long deadline = System.nanoTime() + seconds * 1_000_000_000L;
        while (!Files.exists(log(name)) || !read(name).contains(line)) {
            if (System.nanoTime() > deadline) {
                throw new IllegalStateException(name + " did not log '" + line + "' within " + seconds + " s:\n" + read(name));
            }
            Thread.sleep(200);
        }
    }

    @Override
    public void close() {
        for (Process p : daemons) {
            p.descendants().forEach(ProcessHandle::destroyForcibly);
            p.destroyForcibly();
        }
    }

    private static List<String> classPath(String file) throws IOException {
        String text = Files.readString(Path.of("target", file)).strip();
        return text.isEmpty() ? List.of() : List.of(text.split(java.io.File.pathSeparator));
    }

    /** A jar as it is, or a classes folder (a reactor module not yet packaged) packed into one. */
    private static Path asJar(Path entry, Path dir) throws IOException {
        if (!Files.isDirectory(entry)) {
            return entry.toAbsolutePath();
        }
        Path jar = dir.resolve(entry.toAbsolutePath().normalize().toString().replaceAll("[^A-Za-z0-9]+", "_") + ".jar");
        try (JarOutputStream out = new JarOutputStream(Files.newOutputStream(jar)); Stream<Path> files = Files.walk(entry)) {
            for (Path f : (Iterable<Path>) files.filter(Files::isRegularFile)::iterator) {
                out.putNextEntry(new JarEntry(entry.relativize(f).toString().replace('\\', '/')));
                Files.copy(f, out);
                out.closeEntry();
            }
        }
        return jar.toAbsolutePath();
    }

    private static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0)) {
            return s.getLocalPort();
        }
    }
}
