package io.lazysnap.systest;

import java.io.IOException;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * The real stack on this machine, private to one test class: a distribution registry on 127.0.0.1, lazysnap
 * ({@code bin/lazysnap serve}, a separate JVM) and containerd (Debian's package) with a {@code proxy_plugins}
 * entry for lazysnap. Everything lives under one temp dir and is stopped by PID and unmounted in {@link #close()};
 * with {@code LAZYSNAP_SYSTEST_KEEP} set the dir (logs, configs) is kept for debugging.
 */
final class Stack implements AutoCloseable {

    static final String NAMESPACE = "lazysnap-systest";

    final Path dir;
    final LazysnapProcess lazysnap;
    final Path containerdSocket;
    /** The registry as clients reach it: through {@link #registryTraffic}, which counts what it serves. */
    final String registry;
    final CountingProxy registryTraffic;
    private final String registryListen;
    private final Path registryConfig;
    private final Path containerdConfig;
    private final Path lazysnapConfig;
    private final List<Snapshotter> others = new ArrayList<>();
    private Process registryProcess;
    private Process containerdProcess;

    private Stack(Path dir, int registryPort) throws IOException {
        this.dir = dir;
        this.registryListen = "127.0.0.1:" + registryPort;
        this.registryTraffic = new CountingProxy(registryPort);
        this.lazysnapConfig = dir.resolve("lazysnap.toml");
        this.lazysnap = new LazysnapProcess(dir.resolve("lazysnap"), dir.resolve("run/lazysnap.sock"), lazysnapConfig,
                dir);
        this.containerdSocket = dir.resolve("run/containerd.sock");
        this.registry = "127.0.0.1:" + registryTraffic.port();
        this.registryConfig = dir.resolve("registry.yml");
        this.containerdConfig = dir.resolve("containerd.toml");
    }

    /** A command against the stack that fails with an {@link IOException} carrying its output. */
    interface Call {
        String run() throws Exception;
    }

    /** Extra top-level lines of lazysnap's config file, written once the stack's directory and registry exist. */
    interface Settings {
        String write(Path dir, String registry) throws Exception;
    }

    /**
     * Another remote snapshotter served next to lazysnap (e.g. stargz-snapshotter's daemon): containerd gets a
     * {@code proxy_plugins} entry {@link #name()} → {@link #socket()}; it is started after lazysnap, before
     * containerd, and closed after containerd has stopped, before the stack's leftover mounts are unmounted.
     */
    interface Snapshotter extends AutoCloseable {
        String name();

        Path socket();

        void start() throws Exception;
    }

    /** Creates a {@link Snapshotter} whose state lives under the stack's directory. */
    interface SnapshotterFactory {
        Snapshotter create(Path stackDir) throws Exception;
    }

    static Stack start() throws Exception {
        return start((dir, registry) -> "");
    }

    static Stack start(Settings lazysnapSettings, SnapshotterFactory... otherSnapshotters) throws Exception {
        requireCommands("containerd", "ctr", "runc", "docker-registry", "busybox");
        // Short base path: unix socket paths are limited to 107 bytes.
        Stack stack = new Stack(Files.createTempDirectory(Path.of("/tmp"), "lzs-"), Processes.freePort());
        try {
            for (SnapshotterFactory factory : otherSnapshotters) {
                stack.others.add(factory.create(stack.dir));
            }
            stack.writeConfigs(lazysnapSettings.write(stack.dir, stack.registry));
            stack.startRegistry();
            stack.lazysnap.start();
            for (Snapshotter other : stack.others) {
                other.start();
            }
            stack.startContainerd();
            return stack;
        } catch (Exception e) {
            stack.close();
            throw e;
        }
    }

    private static void requireCommands(String... commands) throws Exception {
        for (String c : commands) {
            Processes.run(Duration.ofSeconds(10), "sh", "-c", "command -v " + c + " || { echo \"" + c
                    + " is not installed; run scripts/test (it installs the system packages)\" >&2; exit 1; }");
        }
    }

    private void writeConfigs(String lazysnapSettings) throws IOException {
        Files.createDirectories(dir.resolve("run"));
        Files.writeString(registryConfig, """
                version: 0.1
                log:
                  level: warn
                storage:
                  filesystem:
                    rootdirectory: %s
                  delete:
                    enabled: true
                http:
                  addr: %s
                """.formatted(dir.resolve("registry-data"), registryListen));
        Files.writeString(containerdConfig, """
                version = 2
                root = "%s"
                state = "%s"

                [grpc]
                  address = "%s"

                [ttrpc]
                  address = "%s"

                [proxy_plugins.lazysnap]
                  type = "snapshot"
                  address = "%s"

                # Kubernetes' view: CRI pulls through lazysnap and passes it the image labels.
                [plugins."io.containerd.grpc.v1.cri"]
                  sandbox_image = "%s/systest/pause:1"
                  stream_server_address = "127.0.0.1"
                  stream_server_port = "0"
                  # Some sandboxes (this CI's VMs) refuse a negative oom_score_adj, which CRI sets on pause.
                  restrict_oom_score_adj = true
                  [plugins."io.containerd.grpc.v1.cri".containerd]
                    snapshotter = "lazysnap"
                    disable_snapshot_annotations = false
                  [plugins."io.containerd.grpc.v1.cri".cni]
                    bin_dir = "%s"
                    conf_dir = "%s"
                  [plugins."io.containerd.grpc.v1.cri".registry.mirrors."%s"]
                    endpoint = ["http://%s"]
                """.formatted(dir.resolve("containerd-root"), dir.resolve("containerd-state"), containerdSocket,
                dir.resolve("run/containerd.ttrpc.sock"), lazysnap.socket, registry, dir.resolve("cni-bin"),
                dir.resolve("cni-conf"), registry, registry));
        for (Snapshotter other : others) {
            Files.writeString(containerdConfig, """

                    [proxy_plugins.%s]
                      type = "snapshot"
                      address = "%s"
                    """.formatted(other.name(), other.socket()), java.nio.file.StandardOpenOption.APPEND);
        }
        Files.writeString(lazysnapConfig, lazysnapSettings + """

                [registry]
                plain_http = ["%s"]
                """.formatted(registry));
    }

    private void startRegistry() throws Exception {
        Path log = dir.resolve("registry.log");
        registryProcess = Processes.start(log, List.of("docker-registry", "serve", registryConfig.toString()));
        String[] hostPort = registryListen.split(":");
        Processes.waitFor("docker-registry", Duration.ofSeconds(30), registryProcess, log, () -> {
            try (Socket s = new Socket(hostPort[0], Integer.parseInt(hostPort[1]))) {
                return true;
            } catch (IOException notYet) {
                return false;
            }
        });
    }

    private void startContainerd() throws Exception {
        Path log = dir.resolve("containerd.log");
        containerdProcess = Processes.start(log, List.of("containerd", "--config", containerdConfig.toString()));
        Processes.waitFor("containerd", Duration.ofSeconds(60), containerdProcess, log, () -> {
            if (!Files.exists(containerdSocket)) {
                return false;
            }
            try {
                ctr("version");
                return true;
            } catch (IOException notYet) {
                return false;
            }
        });
    }

    /** Runs {@code ctr} against this stack's containerd and namespace; returns its standard output. */
    String ctr(String... args) throws IOException, InterruptedException {
        return ctrIn(NAMESPACE, args);
    }

    /** Runs {@code ctr} in another containerd namespace ({@code k8s.io} is CRI's). */
    String ctrIn(String namespace, String... args) throws IOException, InterruptedException {
        List<String> command = new ArrayList<>(List.of("ctr", "--address", containerdSocket.toString(),
                "--namespace", namespace));
        command.addAll(List.of(args));
        return Processes.run(Duration.ofMinutes(3), command);
    }

    /** Converts {@code plain} to eStargz with stargz-snapshotter's ctr-remote and pushes it as {@code target}. */
    String ctrRemoteConvert(String plain, String target) throws IOException, InterruptedException {
        ctrIn("convert", "image", "pull", "--plain-http", plain);
        Processes.run(Duration.ofMinutes(5), "ctr-remote", "--address", containerdSocket.toString(),
                "--namespace", "convert", "image", "convert", "--estargz", "--oci", plain, target);
        ctrIn("convert", "image", "push", "--plain-http", target);
        return target;
    }

    /** Pulls {@code ref} the way stargz-snapshotter's users do: ctr-remote rpull with lazysnap as snapshotter. */
    String ctrRemoteRpull(String ref) throws IOException, InterruptedException {
        return Processes.run(Duration.ofMinutes(3), "ctr-remote", "--address", containerdSocket.toString(),
                "--namespace", NAMESPACE, "image", "rpull", "--plain-http", "--snapshotter", "lazysnap", ref);
    }

    /**
     * Pushes {@code systest/<name>:plain} to the stack's registry: a busybox layer, then {@code src/data} as a
     * second layer, running {@code command} (built under {@code <dir>/<name>-build}). Returns its reference.
     */
    String pushBusyboxWith(String name, Path src, List<String> command) throws Exception {
        return new TestImage(Files.createDirectories(dir.resolve(name + "-build")))
                .layer(TestImage.busyboxRootfs(src.resolve("base"))).layer(src.resolve("data"))
                .push(registry, "systest/" + name, "plain", command);
    }

    String logs() throws IOException {
        return "--- lazysnap log\n" + lazysnap.log()
                + "\n--- containerd.log\n" + Processes.tail(dir.resolve("containerd.log"));
    }

    /** Stops everything even when some steps fail; the first failure is rethrown with the others suppressed. */
    @Override
    public void close() throws Exception {
        List<Exception> failures = new ArrayList<>();
        attempt(failures, () -> Processes.stop(containerdProcess));
        // containerd's shims outlive it by design; ours are found by the containerd socket path they were given.
        attempt(failures, () -> ProcessHandle.allProcesses()
                .filter(p -> p.info().commandLine().orElse("").matches("\\S*containerd-shim.*" + dir + ".*"))
                .forEach(ProcessHandle::destroyForcibly));
        for (Snapshotter other : others) {
            attempt(failures, other::close);
        }
        attempt(failures, lazysnap::close);
        attempt(failures, () -> Processes.stop(registryProcess));
        attempt(failures, registryTraffic::close);
        attempt(failures, () -> {
            for (String mount : Processes.mountsUnder(dir)) {
                Processes.run(Duration.ofSeconds(30), "umount", "-l", mount);
            }
        });
        if (System.getenv("LAZYSNAP_SYSTEST_KEEP") == null) {
            attempt(failures, () -> Processes.run(Duration.ofSeconds(60), "rm", "-rf", "--one-file-system",
                    dir.toString()));
        }
        if (!failures.isEmpty()) {
            Exception first = failures.get(0);
            failures.subList(1, failures.size()).forEach(first::addSuppressed);
            throw first;
        }
    }

    private interface Step {
        void run() throws Exception;
    }

    private static void attempt(List<Exception> failures, Step step) {
        try {
            step.run();
        } catch (Exception e) {
            failures.add(e);
        }
    }
}
