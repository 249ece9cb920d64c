package io.lazysnap.cli.inspect;

import io.lazysnap.estargz.CryptoProvider;
import io.lazysnap.daemon.status.HandoverStatus;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.dataformat.toml.TomlMapper;
import io.lazysnap.fs.ConnectionStore;
import io.lazysnap.daemon.DaemonConfig;
import io.lazysnap.daemon.FuseSupport;
import io.lazysnap.daemon.root.Root;
import java.io.IOException;
import java.io.PrintStream;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.SocketChannel;
import java.nio.file.FileStore;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFileAttributes;
import java.nio.file.attribute.PosixFilePermission;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * {@code lazysnap doctor}: checks a node's set-up for the failures seen in the field (no FUSE, no overlayfs, the
 * daemon's socket missing or open to everyone, containerd not pointed at lazysnap, CRI settings that keep image
 * labels from lazysnap, a cgroup driver mismatch between containerd and kubelet, unreachable registries or
 * mirrors, a full disk) and says how to fix each. It only reads; it never changes the node.
 */
public final class Doctor {

    private static final Duration REGISTRY_TIMEOUT = Duration.ofSeconds(3);

    private final DaemonConfig config;
    private final Path containerdConfig;
    private final Path kubeletConfig;

    public Doctor(DaemonConfig config, Path containerdConfig, Path kubeletConfig) {
        this.config = config;
        this.containerdConfig = containerdConfig;
        this.kubeletConfig = kubeletConfig;
    }

    /** Prints every check and its fix; true when none failed. */
    public boolean report(PrintStream out) {
        List<Check> checks = run();
        checks.forEach(out::println);
        return checks.stream().noneMatch(c -> c.status() == Check.Status.FAIL);
    }

    List<Check> run() {
        List<Check> checks = new ArrayList<>();
        checks.add(fuseDevice(Path.of("/dev/fuse")));
        checks.add(handover(config, config.rootDir()));
        checks.add(overlay());
        checks.add(nativeCrypto());
        checks.add(socket(Path.of(config.address())));
        checks.addAll(containerd());
        cgroupDrivers().ifPresent(checks::add);
        checks.addAll(new RegistryReachability(config, REGISTRY_TIMEOUT).run());
        checks.add(diskSpace(Path.of(config.root())));
        return checks;
    }

    static Check fuseDevice(Path device) {
        String subject = "FUSE device " + device;
        return FuseSupport.device(device).map(p -> Check.fail(subject, p.what(), p.fix()))
                .orElseGet(() -> Check.ok(subject, "present, read-write"));
    }

    /** Whether running containers survive a restart of the daemon: how its mounts' connections are kept. */
    static Check handover(DaemonConfig config, Root root) {
        String subject = "mount hand-over";
        if (config.fuse().handoverMode() == ConnectionStore.Mode.OFF) {
            return Check.warn(subject, "off: running containers lose their lazily served files when the daemon"
                    + " restarts", "set [fuse] handover = \"auto\" (docs/handover.md)");
        }
        try {
            Optional<HandoverStatus> status = HandoverStatus.read(root);
            if (status.isEmpty()) {
                return Check.warn(subject, "no daemon of " + root + " has said how it keeps its mounts",
                        "start lazysnap");
            }
            if (status.get().keptBy().equals("off")) {
                return Check.warn(subject, "the daemon could not keep its mounts' FUSE connections (its log says"
                        + " why): running containers lose their lazily served files when it restarts",
                        "journalctl -u lazysnap | grep 'NOT survive'");
            }
            return Check.ok(subject, "connections kept by " + status.get().keptBy() + "; "
                    + status.get().takenOver().size() + " mount(s) taken over at the daemon's start");
        } catch (IOException e) {
            return Check.warn(subject, "cannot read the hand-over status: " + e.getMessage(), "run as root");
        }
    }

    private static Check overlay() {
        try {
            boolean listed = Files.readAllLines(Path.of("/proc/filesystems")).stream()
                    .anyMatch(l -> l.endsWith("\toverlay"));
            return listed ? Check.ok("overlayfs", "supported by the kernel")
                    : Check.warn("overlayfs", "not in /proc/filesystems (the module may load on first use)",
                    "modprobe overlay");
        } catch (IOException e) {
            return Check.warn("overlayfs", "cannot read /proc/filesystems: " + e.getMessage(), "");
        }
    }

    /**
     * Whether SHA-256 and TLS run on BoringSSL in a JVM on this machine, as the daemon's C1-only JIT needs
     * (packaging/serve.jvm). The daemon's own options may differ from this process's: its log says at each start.
     */
    static Check nativeCrypto() {
        String subject = "native crypto";
        String detail = "SHA-256 and TLS here: " + CryptoProvider.describe()
                + " (the daemon logs its own at start: \"SHA-256 and TLS: ...\")";
        return CryptoProvider.conscrypt().isPresent() ? Check.ok(subject, detail)
                : Check.warn(subject, detail + "; chunk verification and TLS then run ten times slower or worse in"
                        + " the daemon", "let the directory the library is unpacked into allow executables, and do not"
                        + " set -D" + CryptoProvider.SWITCH + "=jdk in LAZYSNAP_JAVA_OPTS");
    }

    static Check socket(Path socket) {
        String subject = "socket " + socket;
        if (!Files.exists(socket, LinkOption.NOFOLLOW_LINKS)) {
            return Check.fail(subject, "missing: lazysnap is not running (or serves another address)",
                    "systemctl start lazysnap; journalctl -u lazysnap tells why it stopped");
        }
        try {
            PosixFileAttributes a = Files.readAttributes(socket, PosixFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
            if (!a.isOther()) {
                return Check.fail(subject, "exists but is not a socket", "remove it and restart lazysnap");
            }
            Set<PosixFilePermission> p = a.permissions();
            if (p.contains(PosixFilePermission.OTHERS_WRITE) || p.contains(PosixFilePermission.OTHERS_READ)) {
                return Check.fail(subject, "open to every user (" + java.nio.file.attribute.PosixFilePermissions
                        .toString(p) + "): anyone could prepare and remove snapshots", "chmod 0660 " + socket
                        + " (lazysnap creates it so; something changed it)");
            }
        } catch (IOException e) {
            return Check.fail(subject, "cannot stat: " + e.getMessage(), "run lazysnap doctor as root");
        }
        try (SocketChannel c = SocketChannel.open(StandardProtocolFamily.UNIX)) {
            c.connect(UnixDomainSocketAddress.of(socket));
            return Check.ok(subject, "accepts connections, mode 0660");
        } catch (IOException e) {
            return Check.fail(subject, "refuses connections (" + e.getMessage() + "): a stale socket of a dead daemon",
                    "systemctl restart lazysnap");
        }
    }

    /** containerd's proxy plugin pointing at our socket, and the CRI settings Kubernetes pulls need. */
    List<Check> containerd() {
        String subject = "containerd config " + containerdConfig;
        if (!Files.isRegularFile(containerdConfig)) {
            return List.of(Check.fail(subject, "missing", "write it with a [proxy_plugins.lazysnap] entry,"
                    + " see docs/containerd.md"));
        }
        JsonNode root;
        try {
            root = new TomlMapper().readTree(containerdConfig.toFile());
        } catch (IOException e) {
            return List.of(Check.fail(subject, "not valid TOML: " + e.getMessage(), "fix the file, then"
                    + " systemctl restart containerd"));
        }
        Optional<String> plugin = Optional.empty();
        for (Iterator<Map.Entry<String, JsonNode>> it = root.path("proxy_plugins").fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> p = it.next();
            if ("snapshot".equals(p.getValue().path("type").asText())
                    && config.address().equals(p.getValue().path("address").asText())) {
                plugin = Optional.of(p.getKey());
            }
        }
        List<Check> checks = new ArrayList<>();
        if (plugin.isEmpty()) {
            checks.add(Check.fail(subject, "no proxy plugin of type \"snapshot\" with address " + config.address(),
                    "add [proxy_plugins.lazysnap] type = \"snapshot\" address = \"" + config.address()
                            + "\", then systemctl restart containerd"));
            return checks;
        }
        checks.add(Check.ok(subject, "proxy plugin \"" + plugin.get() + "\" points at " + config.address()));
        JsonNode cri16 = root.path("plugins").path("io.containerd.grpc.v1.cri").path("containerd");
        JsonNode cri20 = root.path("plugins").path("io.containerd.cri.v1.images");
        JsonNode cri = cri20.isMissingNode() ? cri16 : cri20;
        String table = cri20.isMissingNode() ? "[plugins.\"io.containerd.grpc.v1.cri\".containerd]"
                : "[plugins.\"io.containerd.cri.v1.images\"]";
        if (!plugin.get().equals(cri.path("snapshotter").asText())) {
            checks.add(Check.warn("CRI snapshotter", "Kubernetes pulls use \"" + cri.path("snapshotter")
                    .asText("overlayfs") + "\", not \"" + plugin.get() + "\"", "set snapshotter = \"" + plugin.get()
                    + "\" in " + table + " (ctr and rpull pulls work without it)"));
        } else if (cri.path("disable_snapshot_annotations").asBoolean(false)) {
            checks.add(Check.fail("CRI image labels", "disable_snapshot_annotations = true: lazysnap never learns"
                    + " which image a layer belongs to, so Kubernetes pulls download every layer",
                    "set disable_snapshot_annotations = false in " + table));
        } else if (!cri.path("disable_snapshot_annotations").isBoolean()) {
            checks.add(Check.warn("CRI image labels", "disable_snapshot_annotations is not set (containerd 1.x"
                    + " defaults to true, which hides image labels from lazysnap)",
                    "set disable_snapshot_annotations = false in " + table));
        } else {
            checks.add(Check.ok("CRI", "snapshotter \"" + plugin.get() + "\" with image labels"));
        }
        return checks;
    }

    Optional<Check> cgroupDrivers() {
        try {
            return CgroupDrivers.check(new TomlMapper().readTree(containerdConfig.toFile()), kubeletConfig);
        } catch (IOException e) {
            return Optional.empty(); // the containerd check reports the file
        }
    }

    Check diskSpace(Path root) {
        Path existing = root;
        while (existing != null && !Files.exists(existing)) {
            existing = existing.getParent();
        }
        if (existing == null) {
            return Check.warn("disk", "cannot find the file system of " + root, "");
        }
        try {
            FileStore store = Files.getFileStore(existing);
            long used = 100 - 100 * store.getUsableSpace() / Math.max(1, store.getTotalSpace());
            String detail = used + " % of the file system of " + root + " used";
            return used > config.cache().diskHighPercent()
                    ? Check.warn("disk", detail + ", over disk_high_percent (" + config.cache().diskHighPercent()
                    + "): chunks are not cached on disk, every cold read goes to the registry",
                    "free space, or remove unused images (crictl rmi --prune) so containerd's GC removes their"
                            + " snapshots")
                    : Check.ok("disk", detail);
        } catch (IOException e) {
            return Check.warn("disk", "cannot stat " + existing + ": " + e.getMessage(), "");
        }
    }
}
