package io.lazysnap.cli.inspect;

import io.lazysnap.daemon.status.HandoverStatus;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.lazysnap.daemon.DaemonConfig;
import io.lazysnap.daemon.root.Root;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.ServerSocketChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** lazysnap doctor against deliberately broken set-ups: each is a FAIL or WARN with a fix. */
class DoctorTest {

    @TempDir
    Path tmp;

    @Test
    void aMissingSocketIsAFailure() {
        Check c = Doctor.socket(tmp.resolve("lazysnap.sock"));
        assertEquals(Check.Status.FAIL, c.status());
        assertTrue(c.detail().startsWith("missing") && c.fix().contains("systemctl start lazysnap"), c.toString());
    }

    @Test
    void aStaleSocketAndAWorldWritableOneAreFailures() throws Exception {
        Path socket = tmp.resolve("lazysnap.sock");
        try (ServerSocketChannel server = ServerSocketChannel.open(StandardProtocolFamily.UNIX)) {
            server.bind(UnixDomainSocketAddress.of(socket));
            Files.setPosixFilePermissions(socket, PosixFilePermissions.fromString("rw-rw----"));
            assertEquals(Check.Status.OK, Doctor.socket(socket).status(), Doctor.socket(socket).toString());
            Files.setPosixFilePermissions(socket, PosixFilePermissions.fromString("rw-rw-rw-"));
            Check open = Doctor.socket(socket);
            assertEquals(Check.Status.FAIL, open.status());
            assertTrue(open.detail().contains("open to every user") && open.fix().startsWith("chmod 0660"), open.toString());
            Files.setPosixFilePermissions(socket, PosixFilePermissions.fromString("rw-rw----"));
        }
        Check stale = Doctor.socket(socket); // the file outlived its listener, as after a kill -9
        assertEquals(Check.Status.FAIL, stale.status());
        assertTrue(stale.detail().startsWith("refuses connections"), stale.toString());
        Path plain = Files.writeString(tmp.resolve("not-a-socket"), "");
        assertTrue(Doctor.socket(plain).detail().contains("not a socket"));
    }

    @Test
    void nativeCryptoIsBoringSslOnThisMachine() {
        Check c = Doctor.nativeCrypto();
        assertEquals(Check.Status.OK, c.status(), c.toString());
        assertTrue(c.detail().contains("BoringSSL's, through Conscrypt 2."), c.toString());
    }

    @Test
    void aMissingFuseDeviceIsAFailure() {
        Check c = Doctor.fuseDevice(tmp.resolve("fuse"));
        assertEquals(Check.Status.FAIL, c.status());
        assertTrue(c.fix().startsWith("modprobe fuse"), c.toString());
        assertEquals(Check.Status.OK, Doctor.fuseDevice(Path.of("/dev/fuse")).status(), "this machine has FUSE");
    }

    @Test
    void containerdConfigurations() throws Exception {
        assertEquals(List.of(Check.Status.FAIL), statuses(null), "no file");
        assertEquals(List.of(Check.Status.FAIL), statuses("version = 2\n[proxy_plugins.lazysnap\n"), "bad TOML");
        assertEquals(List.of(Check.Status.FAIL), statuses("version = 2\n"), "no proxy plugin");
        assertEquals(List.of(Check.Status.FAIL), statuses(plugin("/run/other.sock")), "another address");
        assertEquals(List.of(Check.Status.OK, Check.Status.WARN), statuses(plugin(address())),
                "ctr works, Kubernetes does not use lazysnap");
        assertEquals(List.of(Check.Status.OK, Check.Status.FAIL), statuses(plugin(address())
                + cri16("disable_snapshot_annotations = true")), "CRI hides image labels");
        assertEquals(List.of(Check.Status.OK, Check.Status.WARN), statuses(plugin(address()) + cri16("")),
                "containerd 1.x's default hides them");
        assertEquals(List.of(Check.Status.OK, Check.Status.OK), statuses(plugin(address())
                + cri16("disable_snapshot_annotations = false")));
        assertEquals(List.of(Check.Status.OK, Check.Status.OK), statuses(plugin(address())
                + "[plugins.\"io.containerd.cri.v1.images\"]\nsnapshotter = \"lazysnap\"\n"
                + "disable_snapshot_annotations = false\n"), "containerd 2.x");
        List<Check> wrongTable = doctor(plugin(address())
                + "[plugins.\"io.containerd.cri.v1.images\"]\nsnapshotter = \"overlayfs\"\n").containerd();
        assertTrue(wrongTable.get(1).fix().contains("[plugins.\"io.containerd.cri.v1.images\"]"), wrongTable.toString());
    }

    @Test
    void aDiskPastTheHighPercentIsAWarning() throws Exception {
        Path config = Files.writeString(tmp.resolve("config.toml"), "[cache]\ndisk_high_percent = 0\ndisk_low_percent = 0\n");
        Doctor doctor = new Doctor(DaemonConfig.load(config), tmp.resolve("containerd.toml"), tmp.resolve("kubelet.yaml"));
        Check c = doctor.diskSpace(tmp.resolve("root/not/yet"));
        assertEquals(Check.Status.WARN, c.status(), c.toString());
        assertTrue(c.detail().contains("over disk_high_percent (0)"), c.toString());
        assertEquals(Check.Status.OK, new Doctor(DaemonConfig.defaults(), tmp, tmp).diskSpace(tmp).status());
    }

    @Test
    void cgroupDriversOfContainerdAndKubeletMustAgree() throws Exception {
        String runc16 = "[plugins.\"io.containerd.grpc.v1.cri\".containerd.runtimes.runc.options]\n";
        assertTrue(doctor(plugin(address()) + runc16 + "SystemdCgroup = true\n").cgroupDrivers().isEmpty(),
                "no kubelet config: nothing to compare");
        Files.writeString(tmp.resolve("kubelet.yaml"), "apiVersion: kubelet.config.k8s.io/v1beta1\n"
                + "kind: KubeletConfiguration\ncgroupDriver: systemd\n");
        Check agree = doctor(plugin(address()) + runc16 + "SystemdCgroup = true\n").cgroupDrivers().orElseThrow();
        assertEquals(Check.Status.OK, agree.status(), agree.toString());
        Check differ = doctor(plugin(address()) + runc16 + "SystemdCgroup = false\n").cgroupDrivers().orElseThrow();
        assertEquals(Check.Status.FAIL, differ.status());
        assertTrue(differ.detail().contains("containerd (runc) uses cgroupfs") && differ.fix().contains(
                "SystemdCgroup = true in [plugins.\"io.containerd.grpc.v1.cri\".containerd.runtimes.runc.options]"),
                differ.toString());
        Check v2 = doctor(plugin(address()) + "[plugins.\"io.containerd.cri.v1.runtime\".containerd]\n"
                + "default_runtime_name = \"crun\"\n"
                + "[plugins.\"io.containerd.cri.v1.runtime\".containerd.runtimes.crun.options]\n"
                + "SystemdCgroup = true\n").cgroupDrivers().orElseThrow();
        assertEquals(Check.Status.OK, v2.status(), "containerd 2.x, another default runtime: " + v2);
        Files.writeString(tmp.resolve("kubelet.yaml"), "kind: KubeletConfiguration\n");
        Check defaults = doctor(plugin(address())).cgroupDrivers().orElseThrow();
        assertEquals(Check.Status.OK, defaults.status(), "both default to cgroupfs: " + defaults);
    }

    @Test
    void unreachableRegistriesAndMirrors() throws Exception {
        try (ServerSocket registry = new ServerSocket(0, 50, InetAddress.getLoopbackAddress())) {
            String up = "127.0.0.1:" + registry.getLocalPort();
            String dead = deadHost();
            Path certsD = Files.createDirectories(tmp.resolve("certs.d"));
            Files.createDirectories(certsD.resolve(dead.replace(":", "_") + "_"));
            Path config = Files.writeString(tmp.resolve("config.toml"), String.join("\n",
                    "[registry]",
                    "plain_http = [\"" + up + "\"]",
                    "hosts_dir = \"" + certsD + "\"",
                    "[[resolver.host.\"mirrored.example\".mirrors]]",
                    "host = \"" + up + "\"",
                    "insecure = true",
                    "[[resolver.host.\"" + up + "\".mirrors]]",
                    "host = \"" + dead + "\"",
                    "insecure = true", ""));
            List<Check> checks = new RegistryReachability(DaemonConfig.load(config), Duration.ofSeconds(2)).run();
            assertEquals(Set.of("registry " + up, "registry " + dead, "registry mirrored.example"),
                    checks.stream().map(Check::subject).collect(Collectors.toSet()));
            Check withDeadMirror = find(checks, "registry " + up);
            assertEquals(Check.Status.WARN, withDeadMirror.status(), withDeadMirror.toString());
            assertTrue(withDeadMirror.detail().startsWith("cannot connect to http://" + dead), withDeadMirror.toString());
            Check deadRegistry = find(checks, "registry " + dead);
            assertEquals(Check.Status.FAIL, deadRegistry.status(), "from its host_port_ directory: " + deadRegistry);
            assertTrue(deadRegistry.fix().startsWith("check DNS"), deadRegistry.toString());
            Check mirrored = find(checks, "registry mirrored.example");
            assertEquals(Check.Status.WARN, mirrored.status(), "the mirror answers, the registry does not resolve");
            assertTrue(mirrored.detail().contains("http://" + up + " reachable"), mirrored.toString());
        }
    }

    private static Check find(List<Check> checks, String subject) {
        return checks.stream().filter(c -> c.subject().equals(subject)).findFirst().orElseThrow();
    }

    private static String deadHost() throws Exception {
        try (ServerSocket probe = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return "127.0.0.1:" + probe.getLocalPort();
        }
    }

    private String address() {
        return tmp.resolve("lazysnap.sock").toString();
    }

    private static String plugin(String address) {
        return "version = 2\n[proxy_plugins.lazysnap]\ntype = \"snapshot\"\naddress = \"" + address + "\"\n";
    }

    private static String cri16(String extra) {
        return "[plugins.\"io.containerd.grpc.v1.cri\".containerd]\nsnapshotter = \"lazysnap\"\n" + extra + "\n";
    }

    private List<Check.Status> statuses(String containerdToml) throws Exception {
        return doctor(containerdToml).containerd().stream().map(Check::status).toList();
    }

    private Doctor doctor(String containerdToml) throws Exception {
        Path file = tmp.resolve("containerd.toml");
        Files.deleteIfExists(file);
        if (containerdToml != null) {
            Files.writeString(file, containerdToml);
        }
        return new Doctor(DaemonConfig.defaults().withOverrides(tmp.resolve("root"), tmp.resolve("lazysnap.sock")),
                file, tmp.resolve("kubelet.yaml"));
    }

    @Test
    void theHandOverLineSaysHowMountsOutliveTheDaemon() throws Exception {
        Root root = new Root(tmp.resolve("root"));
        DaemonConfig config = DaemonConfig.at(root.dir(), tmp.resolve("l.sock"));
        assertEquals(Check.Status.WARN, Doctor.handover(config, root).status(), "no daemon has started yet");
        new HandoverStatus("keeper pid 42", List.of(Root.files(root.snapshot(3)).toString(), Root.files(root.snapshot(4)).toString())).write(root);
        Check kept = Doctor.handover(config, root);
        assertEquals(Check.Status.OK, kept.status(), kept.toString());
        assertTrue(kept.toString().contains("keeper pid 42") && kept.toString().contains("2 mount(s) taken over"),
                kept.toString());
        new HandoverStatus("off", List.of()).write(root);
        assertEquals(Check.Status.WARN, Doctor.handover(config, root).status(), "the daemon could not keep them");
        Path off = Files.writeString(tmp.resolve("off.toml"), "[fuse]\nhandover = \"off\"\n");
        Check disabled = Doctor.handover(DaemonConfig.load(off), root);
        assertEquals(Check.Status.WARN, disabled.status());
        assertTrue(disabled.fix().contains("handover = \"auto\""), disabled.toString());
    }
}
