package io.lazysnap.server.debug;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.lazysnap.server.DaemonConfig;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.ServerSocketChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
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
        Doctor doctor = new Doctor(DaemonConfig.load(config), tmp.resolve("containerd.toml"));
        Check c = doctor.diskSpace(tmp.resolve("root/not/yet"));
        assertEquals(Check.Status.WARN, c.status(), c.toString());
        assertTrue(c.detail().contains("over disk_high_percent (0)"), c.toString());
        assertEquals(Check.Status.OK, new Doctor(DaemonConfig.defaults(), tmp).diskSpace(tmp).status());
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
                file);
    }
}
