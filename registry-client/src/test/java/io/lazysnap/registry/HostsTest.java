package io.lazysnap.registry;

import mockwebserver3.Dispatcher;
import mockwebserver3.MockResponse;
import mockwebserver3.MockWebServer;
import mockwebserver3.RecordedRequest;
import okhttp3.tls.HandshakeCertificates;
import okhttp3.tls.HeldCertificate;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import io.lazysnap.testkit.Processes;
import java.io.InputStream;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** containerd-compatible hosts.toml: lookup, mirrors with fallback, capabilities, headers, TLS material. */
class HostsTest {

    @TempDir
    Path certsD;

    private static List<RecordedRequest> record(MockWebServer server, int status) {
        List<RecordedRequest> seen = new CopyOnWriteArrayList<>();
        server.setDispatcher(new Dispatcher() {
            @Override
            public MockResponse dispatch(RecordedRequest r) {
                seen.add(r);
                return status == 200 ? new MockResponse.Builder().addHeader("Content-Type", MediaTypes.OCI_MANIFEST)
                        .body("{\"config\":" + Json.write(Descriptor.of("c", new byte[0])) + ",\"layers\":[]}")
                        .build() : new MockResponse.Builder().code(status).build();
            }
        });
        return seen;
    }

    private Path hostsToml(String dirName, String toml) throws Exception {
        Path dir = Files.createDirectories(certsD.resolve(dirName));
        return Files.writeString(dir.resolve("hosts.toml"), toml);
    }

    @Test
    void mirrorsComeFirstWithNsAndHeadersAndFallBackToTheUpstream() throws Exception {
        try (MockWebServer upstream = new MockWebServer(); MockWebServer mirror = new MockWebServer()) {
            upstream.start();
            mirror.start();
            List<RecordedRequest> atUpstream = record(upstream, 200);
            List<RecordedRequest> atMirror = record(mirror, 503);
            String ns = MockRegistryTest.host(upstream);
            hostsToml(upstream.getHostName() + "_" + upstream.getPort() + "_", String.join("\n",
                    "server = \"http://" + ns + "\"",
                    "[host.\"http://" + MockRegistryTest.host(mirror) + "\"]",
                    "  capabilities = [\"pull\", \"resolve\"]",
                    "  [host.\"http://" + MockRegistryTest.host(mirror) + "\".header]",
                    "    x-mirror-token = [\"a\", \"b\"]", ""));
            List<String> fallbacks = new CopyOnWriteArrayList<>();
            try (RegistryClient c = RegistryClient.builder().hostsDir(certsD)
                    .retries(2, Duration.ofMillis(1), Duration.ofMillis(2))
                    .listener(new RegistryListener() {
                        @Override
                        public void fellBack(String host, String what, String cause) {
                            fallbacks.add(host + " " + cause);
                        }
                    }).build()) {
                c.manifest(Reference.parse(ns + "/app:v1"));
            }
            assertEquals(2, atMirror.size(), "the mirror's 503 was retried once, then the upstream asked");
            RecordedRequest m = atMirror.get(0);
            assertEquals("/v2/app/manifests/v1", m.getUrl().encodedPath());
            assertEquals(ns, m.getUrl().queryParameter("ns"));
            assertEquals(List.of("a", "b"), m.getHeaders().values("x-mirror-token"));
            assertEquals(1, atUpstream.size());
            assertNull(atUpstream.get(0).getUrl().queryParameter("ns"), "the upstream is not a mirror");
            assertEquals(List.of(MockRegistryTest.host(mirror) + " HTTP 503"), fallbacks);
        }
    }

    @Test
    void aPullOnlyMirrorServesDigestsButNeverResolvesTags() throws Exception {
        try (MockWebServer upstream = new MockWebServer(); MockWebServer mirror = new MockWebServer()) {
            upstream.start();
            mirror.start();
            List<RecordedRequest> atUpstream = record(upstream, 200);
            List<RecordedRequest> atMirror = record(mirror, 200);
            hostsToml("_default", String.join("\n",
                    "[host.\"http://" + MockRegistryTest.host(mirror) + "\"]",
                    "  capabilities = [\"pull\"]", ""));
            String ns = MockRegistryTest.host(upstream);
            Map<String, Long> received = new ConcurrentHashMap<>();
            try (RegistryClient c = RegistryClient.builder().hostsDir(certsD).plainHttp(ns)
                    .listener(new RegistryListener() {
                        @Override
                        public void received(String host, long bytes) {
                            received.merge(host, bytes, Long::sum);
                        }
                    }).build()) {
                Manifest byTag = c.manifest(Reference.parse(ns + "/app:v1"));
                assertEquals(1, atUpstream.size());
                assertTrue(atMirror.isEmpty());
                c.manifest(Reference.parse(ns + "/app").withDigest(byTag.descriptor().digest()));
                assertEquals(1, atMirror.size());
                assertEquals(1, atUpstream.size());
                long body = byTag.descriptor().size();
                assertEquals(Map.of(ns, body, MockRegistryTest.host(mirror), body), received,
                        "body bytes by the host that sent them");
            }
        }
    }

    @Test
    void parsesContainerdFieldsAndPathsRelativeToTheFile() throws Exception {
        hostsToml("registry.example:5000", String.join("\n",
                "server = \"https://registry.example:5000\"",
                "ca = \"root.pem\"",
                "[host.\"https://cache.internal/prefix\"]",
                "  capabilities = [\"pull\", \"resolve\"]",
                "  override_path = true",
                "  skip_verify = true",
                "  client = [[\"/abs/client.cert\", \"client.key\"], [\"both.pem\", \"\"]]",
                "[host.\"cache2.internal:8443\"]",
                "  ca = [\"a.pem\", \"/etc/b.pem\"]",
                "  client = \"c.pem\"", ""));
        List<Endpoint> endpoints = new HostsConfig(certsD, Set.of(), Map.of(), true).all("registry.example:5000");
        assertEquals(3, endpoints.size());
        Endpoint cache = endpoints.get(0);
        assertEquals("https://cache.internal/prefix/", cache.apiRoot().toString());
        assertTrue(cache.mirror() && cache.skipVerify());
        assertEquals(Set.of(Capability.PULL, Capability.RESOLVE), cache.capabilities());
        Path dir = certsD.resolve("registry.example:5000");
        assertEquals(Path.of("/abs/client.cert"), cache.clientPairs().get(0)[0]);
        assertEquals(dir.resolve("client.key"), cache.clientPairs().get(0)[1]);
        assertNull(cache.clientPairs().get(1)[1], "an empty key means the key is in the certificate file");
        Endpoint cache2 = endpoints.get(1);
        assertEquals("https://cache2.internal:8443/v2/", cache2.apiRoot().toString());
        assertEquals(List.of(dir.resolve("a.pem"), Path.of("/etc/b.pem")), cache2.caFiles());
        assertEquals(Capability.ALL, cache2.capabilities());
        Endpoint server = endpoints.get(2);
        assertFalse(server.mirror());
        assertEquals(List.of(dir.resolve("root.pem")), server.caFiles());
        assertEquals("https://registry-1.docker.io/v2/",
                new HostsConfig(certsD.resolve("none"), Set.of(), Map.of(), true).all("docker.io").get(0).apiRoot().toString());
    }

    @Test
    void builderMirrorsComeBeforeTheHostsTomlOnesAndDoNotPush() throws Exception {
        hostsToml("registry.example:5000", "[host.\"https://cache.internal\"]\n");
        HostsConfig hosts = new HostsConfig(certsD, Set.of(), Map.of("registry.example:5000", List.of(
                new HostsConfig.Mirror("mirror-a:5000", true, Map.of("X-Node", List.of("n1"))),
                new HostsConfig.Mirror("https://mirror-b/prefix", true, Map.of()))), true);
        List<Endpoint> endpoints = hosts.all("registry.example:5000");
        assertEquals(List.of("http://mirror-a:5000/v2/", "https://mirror-b/prefix/v2/", "https://cache.internal/v2/",
                "https://registry.example:5000/v2/"), endpoints.stream().map(e -> e.apiRoot().toString()).toList());
        assertTrue(endpoints.get(0).mirror());
        assertEquals(Map.of("X-Node", List.of("n1")), endpoints.get(0).headers());
        assertEquals(List.of("https://cache.internal/v2/", "https://registry.example:5000/v2/"),
                hosts.endpoints("registry.example:5000", Capability.PUSH).stream()
                        .map(e -> e.apiRoot().toString()).toList());
        assertEquals(1, hosts.all("other.example").size(), "only the named registry has the mirrors");
        try (RegistryClient client = RegistryClient.builder().hostsDir(certsD).mirror("registry.example:5000",
                "mirror-a:5000", true, Map.of()).build()) {
            assertEquals(List.of(URI.create("http://mirror-a:5000/v2/"), URI.create("https://cache.internal/v2/"),
                    URI.create("https://registry.example:5000/v2/")), client.pullHosts("registry.example:5000"));
        }
    }

    @Test
    void privateCaAndClientCertificatesComeFromHostsToml() throws Exception {
        HeldCertificate ca = new HeldCertificate.Builder().certificateAuthority(0).commonName("test CA").build();
        HeldCertificate serverCert = new HeldCertificate.Builder().signedBy(ca).addSubjectAlternativeName("localhost")
                .build();
        HeldCertificate clientCert = new HeldCertificate.Builder().signedBy(ca).commonName("node-1").build();
        try (MockWebServer server = new MockWebServer()) {
            server.useHttps(new HandshakeCertificates.Builder().heldCertificate(serverCert)
                    .addTrustedCertificate(ca.certificate()).build().sslSocketFactory());
            server.requireClientAuth();
            server.start();
            List<RecordedRequest> seen = record(server, 200);
            String ns = MockRegistryTest.host(server);
            Reference ref = Reference.parse(ns + "/app:v1");
            Path dir = Files.createDirectories(certsD.resolve(ns));
            Files.writeString(dir.resolve("ca.pem"), ca.certificatePem());
            Files.writeString(dir.resolve("client.pem"), clientCert.certificatePem()
                    + clientCert.privateKeyPkcs8Pem());

            // Verified TLS, not the loopback default of skipping verification without a configured CA.
            RegistryClient.Builder builder = RegistryClient.builder().hostsDir(certsD).requireTlsForLoopback(true)
                    .retries(5, Duration.ofMillis(1), Duration.ofMillis(2));
            try (RegistryClient untrusting = builder.build()) {
                long start = System.nanoTime();
                RegistryException e = assertThrows(RegistryException.class, () -> untrusting.manifest(ref));
                assertTrue(e.getMessage().contains("SSL"), e.getMessage());
                assertTrue(System.nanoTime() - start < 3_000_000_000L, "certificate errors are not retried");
            }
            hostsToml(ns, "ca = \"ca.pem\"\nclient = \"client.pem\"\n");
            try (RegistryClient trusting = builder.build()) {
                trusting.manifest(ref);
            }
            assertEquals(1, seen.size());
            assertEquals("CN=node-1", seen.get(0).getHandshake().peerPrincipal().getName());
        }
    }

    @Test
    void rsaAndEd25519ClientCertificatesAreOfferedToo(@TempDir Path work) throws Exception {
        HeldCertificate rsa = new HeldCertificate.Builder().rsa2048().commonName("node-rsa").build();
        assertEquals("CN=node-rsa", clientPrincipal(rsa.certificatePem() + rsa.privateKeyPkcs8Pem(),
                rsa.certificate()));
        // BoringSSL would offer no Ed25519 certificate: a host with such a key gets the JDK's TLS.
        Path key = work.resolve("ed25519.key");
        Path certificate = work.resolve("ed25519.pem");
        Processes.run("openssl", "req", "-x509", "-newkey", "ed25519", "-nodes", "-days", "1", "-subj",
                "/CN=node-ed25519", "-keyout", key.toString(), "-out", certificate.toString());
        X509Certificate ed25519;
        try (InputStream in = Files.newInputStream(certificate)) {
            ed25519 = (X509Certificate) CertificateFactory.getInstance("X.509").generateCertificate(in);
        }
        assertEquals("CN=node-ed25519", clientPrincipal(Files.readString(certificate) + Files.readString(key),
                ed25519));
    }

    /** Pulls from a TLS server that requires a client certificate it trusts, through hosts.toml; who it saw. */
    private String clientPrincipal(String clientPem, X509Certificate trusted) throws Exception {
        HeldCertificate ca = new HeldCertificate.Builder().certificateAuthority(0).commonName("test CA").build();
        HeldCertificate serverCert = new HeldCertificate.Builder().signedBy(ca).addSubjectAlternativeName("localhost")
                .build();
        try (MockWebServer server = new MockWebServer()) {
            server.useHttps(new HandshakeCertificates.Builder().heldCertificate(serverCert)
                    .addTrustedCertificate(trusted).build().sslSocketFactory());
            server.requireClientAuth();
            server.start();
            List<RecordedRequest> seen = record(server, 200);
            String ns = MockRegistryTest.host(server);
            Path dir = Files.createDirectories(certsD.resolve(ns));
            Files.writeString(dir.resolve("ca.pem"), ca.certificatePem());
            Files.writeString(dir.resolve("client.pem"), clientPem);
            hostsToml(ns, "ca = \"ca.pem\"\nclient = \"client.pem\"\n");
            try (RegistryClient client = RegistryClient.builder().hostsDir(certsD).requireTlsForLoopback(true)
                    .build()) {
                client.manifest(Reference.parse(ns + "/app:v1"));
            }
            assertEquals(1, seen.size());
            return seen.get(0).getHandshake().peerPrincipal().getName();
        }
    }
}
