package io.lazysnap.verifier;

import io.lazysnap.registry.MediaTypes;
import io.lazysnap.registry.Reference;
import io.lazysnap.registry.RegistryClient;
import mockwebserver3.Dispatcher;
import mockwebserver3.MockResponse;
import mockwebserver3.MockWebServer;
import mockwebserver3.RecordedRequest;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Where sigstore bundles are looked up: through the OCI referrers API when the registry has it, through the
 * {@code sha256-<hex>} referrers tag when it answers 404. A scripted registry serves a key-based bundle one way only.
 */
class ReferrersLookupTest {

    private static final String BUNDLE = "application/vnd.dev.sigstore.bundle.v0.3+json";
    // Any digest will do: the verifier judges the bundle's statement, never the image's own manifest.
    private static final String DIGEST = Fixtures.sha256("image manifest".getBytes(StandardCharsets.UTF_8));

    @TempDir
    Path dir;
    private final MockWebServer server = new MockWebServer();
    /** Path → {content type, body}; anything else is a 404, as from a registry that does not have it. */
    private final Map<String, String[]> content = new ConcurrentHashMap<>();
    private final List<String> asked = new CopyOnWriteArrayList<>();
    private Reference image;
    private String policy;
    private String referrersIndex;

    @BeforeEach
    void start() throws Exception {
        server.setDispatcher(new Dispatcher() {
            @Override
            public MockResponse dispatch(RecordedRequest request) {
                asked.add(request.getUrl().encodedPath());
                String[] found = content.get(request.getUrl().encodedPath());
                return found == null ? new MockResponse.Builder().code(404).build()
                        : new MockResponse.Builder().addHeader("Content-Type", found[0]).body(found[1]).build();
            }
        });
        server.start();
        image = Reference.parse(server.getHostName() + ":" + server.getPort() + "/app:1");
        TestKeys keys = TestKeys.ecdsa(dir, "signer");
        byte[] bundle = keys.bundle(image.name(), DIGEST, BundleVerifier.PREDICATE_TYPE);
        String bundleDigest = put("blobs/", "application/octet-stream", new String(bundle, StandardCharsets.UTF_8));
        String empty = put("blobs/", "application/octet-stream", "{}");
        String referrer = "{\"schemaVersion\":2,\"mediaType\":\"" + MediaTypes.OCI_MANIFEST + "\",\"artifactType\":\""
                + BUNDLE + "\",\"config\":{\"mediaType\":\"application/vnd.oci.empty.v1+json\",\"digest\":\"" + empty
                + "\",\"size\":2},\"layers\":[{\"mediaType\":\"" + BUNDLE + "\",\"digest\":\"" + bundleDigest
                + "\",\"size\":" + bundle.length + "}],\"subject\":{\"mediaType\":\"" + MediaTypes.OCI_MANIFEST
                + "\",\"digest\":\"" + DIGEST + "\",\"size\":1}}";
        String referrerDigest = put("manifests/", MediaTypes.OCI_MANIFEST, referrer);
        referrersIndex = "{\"schemaVersion\":2,\"mediaType\":\"" + MediaTypes.OCI_INDEX + "\",\"manifests\":[{"
                + "\"mediaType\":\"" + MediaTypes.OCI_MANIFEST + "\",\"digest\":\"" + referrerDigest + "\",\"size\":"
                + referrer.getBytes(StandardCharsets.UTF_8).length + ",\"artifactType\":\"" + BUNDLE + "\"}]}";
        policy = "[default]\nkeys = [\"" + keys.publicPem() + "\"]\n";
    }

    @AfterEach
    void stop() {
        server.close();
    }

    /** Serves {@code body} under {@code /v2/app/<kind><digest>} and returns the digest. */
    private String put(String kind, String type, String body) {
        String digest = Fixtures.sha256(body.getBytes(StandardCharsets.UTF_8));
        content.put("/v2/app/" + kind + digest, new String[]{type, body});
        return digest;
    }

    private Verdict verify() throws Exception {
        try (RegistryClient registry = RegistryClient.builder().plainHttp(image.registry())
                .retries(1, Duration.ofMillis(10), Duration.ofMillis(10)).build()) {
            return Verifier.builder(Fixtures.policy(policy), registry).build().verify(image, DIGEST);
        }
    }

    @Test
    void bundlesListedOnlyByTheReferrersApiAreFound() throws Exception {
        content.put("/v2/app/referrers/" + DIGEST, new String[]{MediaTypes.OCI_INDEX, referrersIndex});
        Verdict verdict = verify();
        assertEquals(Verdict.Outcome.VERIFIED, verdict.outcome(), verdict.toString());
        assertTrue(verdict.reason().contains("(sigstore bundle)"), verdict.reason());
        assertTrue(asked.stream().noneMatch(p -> p.endsWith("/manifests/" + DIGEST.replace(':', '-'))),
                "a registry with the API is not asked for the tag: " + asked);
    }

    @Test
    void bundlesListedOnlyByTheReferrersTagAreFoundWhenTheApiIsMissing() throws Exception {
        content.put("/v2/app/manifests/" + DIGEST.replace(':', '-'), new String[]{MediaTypes.OCI_INDEX, referrersIndex});
        Verdict verdict = verify();
        assertEquals(Verdict.Outcome.VERIFIED, verdict.outcome(), verdict.toString());
        int api = asked.indexOf("/v2/app/referrers/" + DIGEST);
        assertTrue(api >= 0 && api < asked.indexOf("/v2/app/manifests/" + DIGEST.replace(':', '-')),
                "the API is asked first: " + asked);
    }
}
