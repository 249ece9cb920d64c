package io.lazysnap.cli.pull;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.lazysnap.daemon.progress.Task;
import io.lazysnap.daemon.control.ControlServer;
import io.lazysnap.daemon.control.ControlSocket;
import io.lazysnap.daemon.control.PullRequest;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ControlServerTest {

    @TempDir
    Path dir;

    private static final PullRequest REQUEST = new PullRequest("registry.test/app:v1", "/run/containerd.sock",
            "default", "lazysnap", null, true, null, false);

    @Test
    void thePullRunsInTheServerAndTheClientCopiesItsOutput() throws Exception {
        AtomicReference<PullRequest> seen = new AtomicReference<>();
        Path address = dir.resolve("lazysnap.sock");
        try (ControlServer server = ControlServer.start(ControlSocket.of(address), (request, progress) -> {
            seen.set(request);
            progress.message("resolved");
            Task layer = progress.task("abc", 100);
            layer.status("fetching", 100);
            layer.advance(60);
            layer.finish("applied", 100);
            progress.task("def", 0).status("remote");
            return "registry.test/app:v1";
        })) {
            assertEquals("rw-rw----", PosixFilePermissions.toString(
                    Files.getPosixFilePermissions(dir.resolve("lazysnap-control.sock"))));
            ByteArrayOutputStream console = new ByteArrayOutputStream();
            assertEquals("registry.test/app:v1", PullClient.pull(address, REQUEST, console));
            assertEquals(REQUEST, seen.get());
            List<String> lines = console.toString(StandardCharsets.UTF_8).lines()
                    .map(l -> l.replaceAll("\\s+", " ")).toList();
            assertEquals(List.of("resolved", "abc waiting 100 B", "abc fetching 100 B", "abc applied 100 B",
                    "def waiting", "def remote", "pulled registry.test/app:v1 with snapshotter lazysnap"), lines);
        }
        assertFalse(Files.exists(ControlSocket.of(address)), "the socket is removed at close");
    }

    @Test
    void aFailedPullReachesTheClientAsItsReason() throws Exception {
        Path address = dir.resolve("lazysnap.sock");
        try (ControlServer server = ControlServer.start(ControlSocket.of(address), (request, progress) -> {
            throw new IOException("image registry.test/app:v1 not found");
        })) {
            IOException e = assertThrows(IOException.class,
                    () -> PullClient.pull(address, REQUEST, OutputStream.nullOutputStream()));
            assertEquals("image registry.test/app:v1 not found", e.getMessage());
        }
    }

    @Test
    void anErrorOfTheDaemonIsReportedNotLost() throws Exception {
        Path address = dir.resolve("lazysnap.sock");
        try (ControlServer server = ControlServer.start(ControlSocket.of(address), (request, progress) -> {
            throw new UnsatisfiedLinkError("libfuse.so.2: cannot open shared object file");
        })) {
            IOException e = assertThrows(IOException.class,
                    () -> PullClient.pull(address, REQUEST, OutputStream.nullOutputStream()));
            assertTrue(e.getMessage().contains("libfuse.so.2") && e.getMessage().contains("daemon's log"),
                    e.getMessage());
        }
    }

    @Test
    void aClientThatGoesAwayStopsItsPull() throws Exception {
        CountDownLatch started = new CountDownLatch(1);
        CountDownLatch interrupted = new CountDownLatch(1);
        Path address = dir.resolve("lazysnap.sock");
        try (ControlServer server = ControlServer.start(ControlSocket.of(address), (request, progress) -> {
            started.countDown();
            Task task = progress.task("abc", 0);
            try {
                for (int i = 0; i < 1000; i++) {
                    task.status("step " + i);
                    Thread.sleep(10);
                }
            } catch (InterruptedException e) {
                interrupted.countDown();
                throw e;
            }
            return "never";
        })) {
            try (SocketChannel client = SocketChannel.open(StandardProtocolFamily.UNIX)) {
                client.connect(UnixDomainSocketAddress.of(ControlSocket.of(address)));
                client.write(ByteBuffer.wrap((REQUEST.toJson() + "\n")
                        .getBytes(StandardCharsets.UTF_8)));
                assertTrue(started.await(10, TimeUnit.SECONDS));
            }
            assertTrue(interrupted.await(10, TimeUnit.SECONDS), "the pull was interrupted when its client left");
        }
    }

    @Test
    void withoutADaemonTheClientSaysHowToStartOne() {
        IOException e = assertThrows(IOException.class, () -> PullClient.pull(dir.resolve("lazysnap.sock"), REQUEST,
                OutputStream.nullOutputStream()));
        assertTrue(e.getMessage().contains("no lazysnap daemon takes pulls at " + dir.resolve("lazysnap-control.sock")),
                e.getMessage());
    }

    @Test
    void aMalformedRequestIsAnsweredWithAnError() throws Exception {
        Path address = dir.resolve("lazysnap.sock");
        try (ControlServer server = ControlServer.start(ControlSocket.of(address), (request, progress) -> "x");
             SocketChannel client = SocketChannel.open(StandardProtocolFamily.UNIX)) {
            client.connect(UnixDomainSocketAddress.of(ControlSocket.of(address)));
            client.write(ByteBuffer.wrap("{not json\n".getBytes(StandardCharsets.UTF_8)));
            ByteBuffer answer = ByteBuffer.allocate(4096);
            while (client.read(answer) >= 0) {
                // until the server closes
            }
            String text = new String(answer.array(), 0, answer.position(), StandardCharsets.UTF_8);
            assertTrue(text.startsWith("\0error malformed pull request:"), text);
        }
    }
}
