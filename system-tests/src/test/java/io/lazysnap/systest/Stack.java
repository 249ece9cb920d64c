package io.lazysnap.systest;

import io.lazysnap.testkit.Cleanup;
import io.lazysnap.testkit.Containerd;
import io.lazysnap.testkit.Processes;
import io.lazysnap.testkit.Registry;
import io.lazysnap.testkit.TcpProxy;
import java.io.IOException;
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
    /** The registry as clients reach it: through {@link #registryTraffic}, which counts what it serves. */
    String registry;
    TcpProxy registryTraffic;
    private final Path lazysnapConfig;
    private final List<Snapshotter> others = new ArrayList<>();
    private Registry registryProcess;
    private Containerd containerd;

    private Stack(Path dir) {
        this.dir = dir;
        this.lazysnapConfig = dir.resolve("lazysnap.toml");
        this.lazysnap = new LazysnapProcess(dir.resolve("lazysnap"), dir.resolve("run/lazysnap.sock"), lazysnapConfig,
                dir);
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
        Stack stack = new Stack(Files.createTempDirectory(Path.of("/tmp"), "lzs-"));
        try {
            Files.createDirectories(stack.dir.resolve("run"));
            for (SnapshotterFactory factory : otherSnapshotters) {
                stack.others.add(factory.create(stack.dir));
            }
            stack.registryProcess = Registry.start(Files.createDirectories(stack.dir.resolve("registry")));
            stack.registryTraffic = TcpProxy.to(stack.registryProcess.address());
            stack.registry = stack.registryTraffic.host();
            Files.writeString(stack.lazysnapConfig, lazysnapSettings.write(stack.dir, stack.registry) + """

                    [registry]
                    plain_http = ["%s"]
                    """.formatted(stack.registry));
            stack.lazysnap.start();
            // Kubernetes' view: CRI pulls through lazysnap and passes it the image labels.
            Containerd.Builder containerd = Containerd.under(stack.dir)
                    .snapshotter("lazysnap", stack.lazysnap.socket)
                    .cri("lazysnap", stack.registry + "/systest/pause:1").plainHttpRegistry(stack.registry);
            for (Snapshotter other : stack.others) {
                other.start();
                containerd.snapshotter(other.name(), other.socket());
            }
            stack.containerd = containerd.start();
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

    /** Runs {@code ctr} against this stack's containerd and namespace; returns its standard output. */
    String ctr(String... args) throws IOException, InterruptedException {
        return ctrIn(NAMESPACE, args);
    }

    /** Runs {@code ctr} in another containerd namespace ({@code k8s.io} is CRI's). */
    String ctrIn(String namespace, String... args) throws IOException, InterruptedException {
        return containerd.ctr(namespace, args);
    }

    Path containerdSocket() {
        return containerd.socket();
    }

    /** Converts {@code plain} to eStargz with stargz-snapshotter's ctr-remote and pushes it as {@code target}. */
    String ctrRemoteConvert(String plain, String target) throws IOException, InterruptedException {
        ctrIn("convert", "image", "pull", "--plain-http", plain);
        Processes.run(Duration.ofMinutes(5), "ctr-remote", "--address", containerdSocket().toString(),
                "--namespace", "convert", "image", "convert", "--estargz", "--oci", plain, target);
        ctrIn("convert", "image", "push", "--plain-http", target);
        return target;
    }

    /** Pulls {@code ref} the way stargz-snapshotter's users do: ctr-remote rpull with lazysnap as snapshotter. */
    String ctrRemoteRpull(String ref) throws IOException, InterruptedException {
        return Processes.run(Duration.ofMinutes(3), "ctr-remote", "--address", containerdSocket().toString(),
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
                + "\n--- containerd.log\n" + (containerd == null ? "" : containerd.logTail());
    }

    /** Stops everything even when some steps fail; the first failure is rethrown with the others suppressed. */
    @Override
    public void close() throws Exception {
        Cleanup cleanup = new Cleanup().step(() -> {
            if (containerd != null) {
                containerd.close();
            }
        });
        for (Snapshotter other : others) {
            cleanup.step(other::close);
        }
        cleanup.step(lazysnap::close)
                .step(() -> {
                    if (registryProcess != null) {
                        registryProcess.close();
                    }
                })
                .step(() -> {
                    if (registryTraffic != null) {
                        registryTraffic.close();
                    }
                })
                .step(() -> Processes.unmountUnder(dir));
        if (System.getenv("LAZYSNAP_SYSTEST_KEEP") == null) {
            cleanup.step(() -> Processes.run(Duration.ofSeconds(60), "rm", "-rf", "--one-file-system",
                    dir.toString()));
        }
        cleanup.done();
    }
}
