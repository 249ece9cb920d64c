package io.lazysnap.daemon;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.ServerSocketChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class DaemonTest {

    @TempDir
    Path tmp;

    private DaemonConfig config(Path socket) {
        return DaemonConfig.at(tmp.resolve("root"), socket);
    }

    @Test
    void socketIsRootOnlyAndItsDirectoryIsCreated() throws IOException {
        Path socket = tmp.resolve("run/lazysnap/lazysnap.sock");
        try (Daemon daemon = Daemon.start(config(socket))) {
            assertEquals("rw-rw----", PosixFilePermissions.toString(Files.getPosixFilePermissions(socket)));
            assertEquals("rwx--x--x", PosixFilePermissions.toString(Files.getPosixFilePermissions(socket.getParent())));
            assertEquals("rwx------", PosixFilePermissions.toString(Files.getPosixFilePermissions(tmp.resolve("root"))));
        }
        assertTrue(Files.notExists(socket), "socket removed on close");
    }

    @Test
    void aSocketInUseIsAClearError() throws IOException {
        Path socket = tmp.resolve("busy.sock");
        try (ServerSocketChannel other = ServerSocketChannel.open(StandardProtocolFamily.UNIX)) {
            other.bind(UnixDomainSocketAddress.of(socket));
            IOException e = assertThrows(IOException.class, () -> Daemon.start(config(socket)));
            assertTrue(e.getMessage().contains("in use"), e.getMessage());
            assertTrue(Files.exists(socket), "the other process's socket is left alone");
        }
    }

    @Test
    void aStaleSocketIsReplaced() throws IOException {
        Path socket = tmp.resolve("stale.sock");
        try (ServerSocketChannel dead = ServerSocketChannel.open(StandardProtocolFamily.UNIX)) {
            dead.bind(UnixDomainSocketAddress.of(socket));
        }
        assertTrue(Files.exists(socket));
        try (Daemon daemon = Daemon.start(config(socket))) {
            assertTrue(Files.exists(socket));
        }
    }

    @Test
    void aRegularFileAtTheAddressIsRefused() throws IOException {
        Path notASocket = Files.writeString(tmp.resolve("file"), "keep me");
        IOException e = assertThrows(IOException.class, () -> Daemon.start(config(notASocket)));
        assertTrue(e.getMessage().contains("not a socket"), e.getMessage());
        assertEquals("keep me", Files.readString(notASocket));
    }

    @Test
    void configFileIsReadAndUnknownKeysAreRejected() throws IOException {
        Path good = Files.writeString(tmp.resolve("good.toml"), "root = \"/srv/lazysnap\"\n");
        DaemonConfig read = DaemonConfig.load(good);
        assertEquals("/srv/lazysnap", read.root());
        assertEquals(DaemonConfig.DEFAULT_ADDRESS, read.address());
        assertEquals("/x", read.withOverrides(Path.of("/x"), null).root());

        Path typo = Files.writeString(tmp.resolve("typo.toml"), "roots = \"/srv/lazysnap\"\n");
        IOException e = assertThrows(IOException.class, () -> DaemonConfig.load(typo));
        assertTrue(e.getMessage().contains("typo.toml") && e.getMessage().contains("roots"), e.getMessage());

        Path nested = Files.writeString(tmp.resolve("nested.toml"),
                "allow_unverified_toc = true\n[registry]\nplain_http = [\"127.0.0.1:5000\"]\n");
        DaemonConfig withRegistry = DaemonConfig.load(nested);
        assertEquals(List.of("127.0.0.1:5000"), withRegistry.registry().plainHttp());
        assertTrue(withRegistry.allowUnverifiedToc());
        assertEquals("/etc/containerd/certs.d", withRegistry.registry().hostsDir());

        Path nestedTypo = Files.writeString(tmp.resolve("nested-typo.toml"), "[registry]\nplain_https = []\n");
        IOException nestedError = assertThrows(IOException.class, () -> DaemonConfig.load(nestedTypo));
        assertTrue(nestedError.getMessage().contains("plain_https"), nestedError.getMessage());

        Path broken = Files.writeString(tmp.resolve("broken.toml"), "root = \n");
        IOException syntax = assertThrows(IOException.class, () -> DaemonConfig.load(broken));
        assertTrue(syntax.getMessage().contains("broken.toml"), syntax.getMessage());
    }
}
