package io.lazysnap.registry;

import io.lazysnap.testkit.Registry;
import mockwebserver3.Dispatcher;
import mockwebserver3.MockResponse;
import mockwebserver3.MockWebServer;
import mockwebserver3.RecordedRequest;
import okhttp3.tls.HandshakeCertificates;
import okhttp3.tls.HeldCertificate;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Registries on this machine follow containerd's (1.7+) defaults with no configuration: TLS without verifying
 * the certificate, falling back to plain HTTP when the server does not speak TLS; port 80 is plain HTTP. And
 * TLS failures an operator can fix say how.
 */
class LoopbackTest {

    @TempDir
    Path certsD;

    private static List<RecordedRequest> manifests(MockWebServer server) {
        List<RecordedRequest> seen = new CopyOnWriteArrayList<>();
        server.setDispatcher(new Dispatcher() {
            @Override
            public MockResponse dispatch(RecordedRequest r) {
                seen.add(r);
                return new MockResponse.Builder().addHeader("Content-Type", MediaTypes.OCI_MANIFEST)
                        .body("{\"config\":" + Json.write(Descriptor.of("c", new byte[0])) + ",\"layers\":[]}")
                        .build();
            }
        });
        return seen;
    }

    private static RegistryClient.Builder client() {
        return RegistryClient.builder().retries(2, Duration.ofMillis(1), Duration.ofMillis(2))
                .requestTimeout(Duration.ofSeconds(5)).totalTimeout(Duration.ofSeconds(20));
    }

    @Test
    void aPlainHttpRegistryOnLoopbackWorksWithoutConfiguration() throws Exception {
        // The real registry: how a plain HTTP server answers a TLS ClientHello is what the fallback relies on.
        try (Registry registry = Registry.start(certsD);
             RegistryClient client = client().build()) {
            byte[] bytes = "layer bytes".getBytes();
            for (String name : List.of("127.0.0.1", "localhost")) {
                Reference repo = Reference.parse(name + ":" + registry.port() + "/team/app:v1");
                Descriptor pushed = client.pushBlob(repo, MediaTypes.OCI_LAYER_GZIP, bytes);
                assertTrue(client.blobExists(repo, pushed.digest()), name);
                assertArrayEquals(bytes, client.blob(repo, pushed), name);
            }
        }
    }

    @Test
    void aTlsRegistryOnLoopbackIsSpokenToOverTlsEvenWithAnUntrustedCertificate() throws Exception {
        HeldCertificate selfSigned = new HeldCertificate.Builder().commonName("dev registry").build();
        try (MockWebServer server = new MockWebServer()) {
            server.useHttps(new HandshakeCertificates.Builder().heldCertificate(selfSigned).build()
                    .sslSocketFactory());
            server.start(InetAddress.getByName("127.0.0.1"), 0);
            List<RecordedRequest> seen = manifests(server);
            try (RegistryClient client = client().build()) {
                client.manifest(Reference.parse("127.0.0.1:" + server.getPort() + "/team/app:v1"));
            }
            assertEquals(1, seen.size());
            assertTrue(seen.get(0).getHandshake() != null, "spoken to over TLS, not downgraded");
        }
    }

    @Test
    void requiringTlsForLoopbackTreatsItLikeAnyHostAndTheErrorSaysHowToAllowHttp() throws Exception {
        // A plain-HTTP server that answers whatever arrives, as registries do; MockWebServer would wait for a
        // newline that a TLS ClientHello never sends.
        try (ServerSocket plain = new ServerSocket(0, 8, InetAddress.getByName("127.0.0.1"))) {
            Thread answering = new Thread(() -> {
                while (!plain.isClosed()) {
                    try (Socket s = plain.accept()) {
                        s.getInputStream().read(new byte[512]);
                        s.getOutputStream().write("HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n"
                                .getBytes(java.nio.charset.StandardCharsets.US_ASCII));
                    } catch (IOException closed) {
                        // the test is over
                    }
                }
            }, "plain-http-answer");
            answering.setDaemon(true);
            answering.start();
            String ns = "127.0.0.1:" + plain.getLocalPort();
            try (RegistryClient client = client().hostsDir(certsD).requireTlsForLoopback(true).build()) {
                RegistryException e = assertThrows(RegistryException.class,
                        () -> client.manifest(Reference.parse(ns + "/team/app:v1")));
                assertTrue(e.getMessage().contains("does not speak TLS"), e.getMessage());
                assertTrue(e.getMessage().contains(certsD.resolve("127.0.0.1_" + plain.getLocalPort() + "_")
                        .resolve("hosts.toml") + " with server = \"http://" + ns + "\""), e.getMessage());
            }
        }
    }

    @Test
    void anUntrustedCertificateElsewhereSaysWhereTheCaGoes() throws Exception {
        HeldCertificate cert = new HeldCertificate.Builder().addSubjectAlternativeName("localhost").build();
        try (MockWebServer server = new MockWebServer()) {
            server.useHttps(new HandshakeCertificates.Builder().heldCertificate(cert).build().sslSocketFactory());
            server.start(InetAddress.getByName("127.0.0.1"), 0);
            String ns = "localhost:" + server.getPort();
            try (RegistryClient client = client().hostsDir(certsD).requireTlsForLoopback(true).build()) {
                RegistryException e = assertThrows(RegistryException.class,
                        () -> client.manifest(Reference.parse(ns + "/team/app:v1")));
                assertTrue(e.getMessage().contains("not signed by a CA this node trusts"), e.getMessage());
                assertTrue(e.getMessage().contains("ca = \"<CA certificate file>\""), e.getMessage());
            }
        }
    }

    @Test
    void defaultsFollowContainerd() {
        HostsConfig loopback = new HostsConfig(null, Set.of(), Map.of(), true);
        Endpoint tls443 = loopback.all("localhost").get(0);
        assertEquals("https://localhost/v2/", tls443.apiRoot().toString());
        assertTrue(tls443.skipVerify());
        assertFalse(tls443.plainHttpFallback(), "443 is TLS only");
        assertEquals("http://127.0.0.1/v2/", loopback.all("127.0.0.1:80").get(0).apiRoot().toString());
        Endpoint other = loopback.all("[::1]:5000").get(0);
        assertEquals("https://[::1]:5000/v2/", other.apiRoot().toString());
        assertTrue(other.skipVerify() && other.plainHttpFallback());
        assertTrue(loopback.all("127.3.2.1:5000").get(0).plainHttpFallback(), "all of 127.0.0.0/8");

        Endpoint remote = loopback.all("registry.example:5000").get(0);
        assertFalse(remote.skipVerify() || remote.plainHttpFallback());
        assertFalse(loopback.all("localhost.example:5000").get(0).plainHttpFallback());
        assertFalse(loopback.all("127.0.0.1.nip.io:5000").get(0).plainHttpFallback());

        Endpoint required = new HostsConfig(null, Set.of(), Map.of(), false).all("127.0.0.1:5000").get(0);
        assertFalse(required.skipVerify() || required.plainHttpFallback());
        assertEquals("http://127.0.0.1:5000/v2/", new HostsConfig(null, Set.of("127.0.0.1:5000"), Map.of(), true)
                .all("127.0.0.1:5000").get(0).apiRoot().toString());
    }

    @Test
    void anExplicitServerOrCaIsKeptAsConfigured() throws Exception {
        Path dir = Files.createDirectories(certsD.resolve("127.0.0.1_5000_"));
        Files.writeString(dir.resolve("hosts.toml"), "server = \"https://127.0.0.1:5000\"\n");
        Endpoint server = new HostsConfig(certsD, Set.of(), Map.of(), true).all("127.0.0.1:5000").get(0);
        assertFalse(server.skipVerify() || server.plainHttpFallback(), "the operator named the scheme");

        Path other = Files.createDirectories(certsD.resolve("localhost_5001_"));
        Files.writeString(other.resolve("ca.crt"), "unused here");
        Endpoint withCa = new HostsConfig(certsD, Set.of(), Map.of(), true).all("localhost:5001").get(0);
        assertFalse(withCa.skipVerify(), "a configured CA is checked");
        assertTrue(withCa.plainHttpFallback());
    }

    @Test
    void loopbackMirrorsWithoutSchemeArePlainHttpAsInStargzSnapshotter() {
        HostsConfig hosts = new HostsConfig(null, Set.of(), Map.of("docker.io", List.of(
                new HostsConfig.Mirror("127.0.0.1:5000", false, Map.of()))), true);
        assertEquals("http://127.0.0.1:5000/v2/", hosts.all("docker.io").get(0).apiRoot().toString());
    }
}
