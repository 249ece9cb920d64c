package io.lazysnap.registry;

import io.lazysnap.testkit.Registry;
import io.lazysnap.testkit.Processes;
import mockwebserver3.Dispatcher;
import mockwebserver3.MockResponse;
import mockwebserver3.MockWebServer;
import mockwebserver3.RecordedRequest;
import okhttp3.tls.HeldCertificate;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.Signature;
import java.util.Arrays;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The real registry in {@code auth: token} mode, behind TLS with a CA made here, against a small token server
 * written in this test; and a dead mirror in hosts.toml that the real upstream stands in for.
 */
class RealRegistryAuthTest {

    @TempDir
    Path dir;

    @Test
    void tokenAuthOverTlsWithAPrivateCaAndADeadMirror() throws Exception {
        RegistryTls tls = RegistryTls.create(dir);
        HeldCertificate signer = new HeldCertificate.Builder().commonName("token signer").build();
        Path signerCert = Files.writeString(dir.resolve("signer.crt"), signer.certificatePem());

        List<String> grantedScopes = new CopyOnWriteArrayList<>();
        try (MockWebServer tokenServer = new MockWebServer()) {
            tokenServer.setDispatcher(new Dispatcher() {
                @Override
                public MockResponse dispatch(RecordedRequest r) {
                    List<String> scopes = r.getUrl().queryParameterValues("scope").stream().map(String::valueOf)
                            .toList();
                    grantedScopes.addAll(scopes);
                    String jwt = jwt(signer, r.getUrl().queryParameter("service"), scopes);
                    return new MockResponse.Builder().body("{\"token\":\"" + jwt + "\",\"expires_in\":300}").build();
                }
            });
            tokenServer.start();
            String auth = String.join("\n",
                    tls.httpConfig(),
                    "auth:",
                    "  token:",
                    "    realm: " + tokenServer.url("/token"),
                    "    service: lazysnap-test",
                    "    issuer: lazysnap-test-issuer",
                    "    rootcertbundle: " + signerCert);
            try (Registry registry = Registry.on(dir).yaml(auth).start()) {
                int deadPort = Processes.freePort();
                Path certsD = tls.trustIn(dir.resolve("certs.d"), registry.host(),
                        "[host.\"http://127.0.0.1:" + deadPort + "\"]",
                        "  capabilities = [\"pull\", \"resolve\"]");
                List<String> fallbacks = new CopyOnWriteArrayList<>();
                Reference ref = Reference.parse(registry.host() + "/secure/app:v1");
                try (RegistryClient client = RegistryClient.builder().hostsDir(certsD)
                        .listener(new RegistryListener() {
                            @Override
                            public void fellBack(String host, String what, String cause) {
                                fallbacks.add(host);
                            }
                        }).build()) {
                    byte[] layer = "a layer that only a token holder may read".getBytes(StandardCharsets.UTF_8);
                    Descriptor l = client.pushBlob(ref, MediaTypes.OCI_LAYER_GZIP, layer);
                    Descriptor c = client.pushBlob(ref, MediaTypes.OCI_CONFIG, "{}".getBytes());
                    client.pushManifest(ref, MediaTypes.OCI_MANIFEST,
                            Manifest.build(c, List.of(l), Map.of()).bytes());
                    ResolvedImage image = client.resolve(ref.toString());
                    assertArrayEquals(Arrays.copyOfRange(layer, 2, 9),
                            client.blobSource(ref, image.manifest().layers().get(0)).read(2, 7));
                }
                assertTrue(grantedScopes.contains("repository:secure/app:pull,push"), grantedScopes.toString());
                assertTrue(grantedScopes.contains("repository:secure/app:pull"), grantedScopes.toString());
                assertFalse(fallbacks.isEmpty(), "the dead mirror was tried first");
                assertTrue(fallbacks.stream().allMatch(h -> h.equals("127.0.0.1:" + deadPort)), fallbacks.toString());

                try (RegistryClient noCa = RegistryClient.builder().requireTlsForLoopback(true).build()) {
                    RegistryException e = assertThrows(RegistryException.class, () -> noCa.manifest(ref));
                    assertTrue(e.getMessage().contains(registry.host()), e.getMessage());
                }
            }
        }
    }

    /** A registry token: ES256 JWT with the signer's certificate in x5c, granting exactly the asked scopes. */
    private static String jwt(HeldCertificate signer, String service, List<String> scopes) {
        try {
            long now = System.currentTimeMillis() / 1000;
            StringBuilder access = new StringBuilder();
            for (String scope : scopes) {
                String[] parts = scope.split(":");
                access.append(access.length() == 0 ? "" : ",").append("{\"type\":\"").append(parts[0])
                        .append("\",\"name\":\"").append(parts[1]).append("\",\"actions\":[\"")
                        .append(String.join("\",\"", parts[2].split(","))).append("\"]}");
            }
            String header = "{\"typ\":\"JWT\",\"alg\":\"ES256\",\"x5c\":[\""
                    + Base64.getEncoder().encodeToString(signer.certificate().getEncoded()) + "\"]}";
            String claims = "{\"iss\":\"lazysnap-test-issuer\",\"sub\":\"\",\"aud\":\"" + service + "\",\"exp\":"
                    + (now + 300) + ",\"nbf\":" + (now - 10) + ",\"iat\":" + now + ",\"jti\":\"" + System.nanoTime()
                    + "\",\"access\":[" + access + "]}";
            Base64.Encoder b64 = Base64.getUrlEncoder().withoutPadding();
            String input = b64.encodeToString(header.getBytes(StandardCharsets.UTF_8)) + "."
                    + b64.encodeToString(claims.getBytes(StandardCharsets.UTF_8));
            Signature s = Signature.getInstance("SHA256withECDSAinP1363Format");
            s.initSign(signer.keyPair().getPrivate());
            s.update(input.getBytes(StandardCharsets.US_ASCII));
            return input + "." + b64.encodeToString(s.sign());
        } catch (java.security.GeneralSecurityException e) {
            throw new IllegalStateException(e);
        }
    }
}
