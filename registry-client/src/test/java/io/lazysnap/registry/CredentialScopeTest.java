package io.lazysnap.registry;

import mockwebserver3.Dispatcher;
import mockwebserver3.MockResponse;
import mockwebserver3.MockWebServer;
import mockwebserver3.RecordedRequest;
import okio.Buffer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Function;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A registry's secrets stay with it: not sent to mirrors, to blob storage, or to a realm that storage names;
 * tokens are not shared between hosts; configured headers do not follow a redirect to another host.
 */
class CredentialScopeTest {

    private static final String BASIC = Credential.password("alice", "s3cret").basicHeader();
    private static final byte[] BLOB = new byte[4096];
    private static final Descriptor BLOB_DESC;

    static {
        new Random(7).nextBytes(BLOB);
        BLOB_DESC = Descriptor.of(MediaTypes.OCI_LAYER_GZIP, BLOB);
    }

    private final MockWebServer registry = new MockWebServer();
    private final MockWebServer other = new MockWebServer();
    private final List<RecordedRequest> atRegistry = new CopyOnWriteArrayList<>();
    private final List<RecordedRequest> atOther = new CopyOnWriteArrayList<>();

    @BeforeEach
    void start() throws Exception {
        registry.start();
        other.start();
    }

    @AfterEach
    void stop() {
        registry.close();
        other.close();
    }

    private static void serve(MockWebServer server, List<RecordedRequest> seen,
                              Function<RecordedRequest, MockResponse> handler) {
        server.setDispatcher(new Dispatcher() {
            @Override
            public MockResponse dispatch(RecordedRequest request) {
                seen.add(request);
                return handler.apply(request);
            }
        });
    }

    private static MockResponse manifest() {
        return new MockResponse.Builder().addHeader("Content-Type", MediaTypes.OCI_MANIFEST)
                .body("{\"config\":" + Json.write(Descriptor.of("c", new byte[0])) + ",\"layers\":[]}").build();
    }

    private static MockResponse basicChallenge() {
        return new MockResponse.Builder().code(401).addHeader("WWW-Authenticate", "Basic realm=\"registry\"").build();
    }

    private static String ns(MockWebServer server) {
        return MockRegistryTest.host(server);
    }

    private RegistryClient.Builder client() {
        return RegistryClient.builder().plainHttp(ns(registry), ns(other))
                .retries(2, Duration.ofMillis(1), Duration.ofMillis(2))
                .requestTimeout(Duration.ofSeconds(5)).totalTimeout(Duration.ofSeconds(20));
    }

    @Test
    void aMirrorWithoutCredentialsOfItsOwnGetsNoneOfTheRegistrys() throws Exception {
        serve(other, atOther, r -> r.getUrl().encodedPath().equals("/token")
                ? new MockResponse.Builder().body("{\"token\":\"mirror-token\"}").build()
                : r.getHeaders().get("Authorization") == null ? basicChallenge()
                : new MockResponse.Builder().code(503).build());
        serve(registry, atRegistry, r -> BASIC.equals(r.getHeaders().get("Authorization")) ? manifest()
                : basicChallenge());
        try (RegistryClient client = client().credentials(ns(registry), "alice", "s3cret")
                .mirror(ns(registry), ns(other), true, Map.of()).build()) {
            client.manifest(Reference.parse(ns(registry) + "/team/app:v1"));
        }
        assertFalse(atOther.isEmpty(), "the mirror was asked first");
        atOther.forEach(r -> assertNull(r.getHeaders().get("Authorization"), "sent to the mirror: " + r));
        assertTrue(atRegistry.stream().anyMatch(r -> BASIC.equals(r.getHeaders().get("Authorization"))));
    }

    @Test
    void aMirrorsChallengeNamingATokenRealmGetsNoneOfTheRegistrysCredentialsEither() throws Exception {
        serve(other, atOther, r -> r.getUrl().encodedPath().equals("/token")
                ? new MockResponse.Builder().body("{\"token\":\"mirror-token\"}").build()
                : "Bearer mirror-token".equals(r.getHeaders().get("Authorization")) ? manifest()
                : new MockResponse.Builder().code(401).addHeader("WWW-Authenticate", "Bearer realm=\""
                + other.url("/token") + "\",service=\"mirror\"").build());
        serve(registry, atRegistry, r -> new MockResponse.Builder().code(500).build());
        try (RegistryClient client = client().credentials(ns(registry), "alice", "s3cret")
                .mirror(ns(registry), ns(other), true, Map.of()).build()) {
            client.manifest(Reference.parse(ns(registry) + "/team/app:v1"));
        }
        RecordedRequest token = atOther.stream().filter(r -> r.getUrl().encodedPath().equals("/token"))
                .findFirst().orElseThrow();
        assertNull(token.getHeaders().get("Authorization"), "anonymous token request to the mirror's realm");
        assertNull(token.getUrl().queryParameter("account"));
    }

    @Test
    void a401FromBlobStorageDoesNotTeachTheRegistrysChallenge() throws Exception {
        serve(other, atOther, r -> new MockResponse.Builder().code(401).addHeader("WWW-Authenticate",
                "Bearer realm=\"" + other.url("/token") + "\",service=\"storage\"").build());
        serve(registry, atRegistry, r -> {
            if (!BASIC.equals(r.getHeaders().get("Authorization"))) {
                return basicChallenge();
            }
            if (r.getUrl().encodedPath().contains("/blobs/")) {
                return new MockResponse.Builder().code(307)
                        .addHeader("Location", other.url("/storage/blob").toString()).build();
            }
            return manifest();
        });
        Reference repo = Reference.parse(ns(registry) + "/team/app:v1");
        try (RegistryClient client = client().credentials(ns(registry), "alice", "s3cret").build()) {
            client.manifest(repo);
            RegistryException e = assertThrows(RegistryException.class, () -> client.blob(repo, BLOB_DESC));
            assertEquals(401, e.status(), e.getMessage());
            atRegistry.clear();
            client.manifest(repo);
            assertEquals(1, atRegistry.size(), "the registry's own Basic challenge is still the one remembered");
        }
        assertTrue(atOther.stream().noneMatch(r -> r.getUrl().encodedPath().equals("/token")),
                "no token was asked of the realm storage named");
        atOther.forEach(r -> assertNull(r.getHeaders().get("Authorization"), "sent to storage: " + r));
    }

    @Test
    void tokensAreNotSharedBetweenHostsThatNameTheSameRealm() throws Exception {
        MockWebServer second = new MockWebServer();
        second.start();
        try (second) {
            serve(other, atOther, r -> new MockResponse.Builder().body(BASIC.equals(r.getHeaders()
                    .get("Authorization")) ? "{\"token\":\"alice-token\"}" : "{\"token\":\"anonymous-token\"}")
                    .build());
            String challenge = "Bearer realm=\"" + other.url("/token") + "\",service=\"shared\"";
            serve(registry, atRegistry, r -> "Bearer alice-token".equals(r.getHeaders().get("Authorization"))
                    ? manifest() : new MockResponse.Builder().code(401).addHeader("WWW-Authenticate", challenge)
                    .build());
            List<RecordedRequest> atSecond = new CopyOnWriteArrayList<>();
            serve(second, atSecond, r -> r.getHeaders().get("Authorization") != null ? manifest()
                    : new MockResponse.Builder().code(401).addHeader("WWW-Authenticate", challenge).build());
            try (RegistryClient client = client().plainHttp(ns(second))
                    .credentials(ns(registry), "alice", "s3cret").build()) {
                client.manifest(Reference.parse(ns(registry) + "/team/app:v1"));
                client.manifest(Reference.parse(ns(second) + "/team/app:v1"));
            }
            atSecond.forEach(r -> assertFalse("Bearer alice-token".equals(r.getHeaders().get("Authorization")),
                    "alice's token went to another host"));
            assertTrue(atSecond.stream().anyMatch(r -> "Bearer anonymous-token".equals(
                    r.getHeaders().get("Authorization"))));
        }
    }

    @Test
    void configuredHeadersAndCookiesDoNotFollowARedirectToAnotherHost() throws Exception {
        serve(other, atOther, r -> new MockResponse.Builder().body(new Buffer().write(BLOB)).build());
        serve(registry, atRegistry, r -> new MockResponse.Builder().code(307)
                .addHeader("Location", other.url("/storage/blob").toString()).build());
        try (RegistryClient client = client()
                .mirror("registry.example", ns(registry), true, Map.of("X-Mirror-Key", List.of("k1"),
                        "Cookie", List.of("session=abc"))).build()) {
            assertArrayEquals(BLOB, client.blob(Reference.parse("registry.example/team/app:v1"), BLOB_DESC));
        }
        assertEquals("k1", atRegistry.get(0).getHeaders().get("X-Mirror-Key"), "the mirror gets its headers");
        assertEquals(1, atOther.size());
        RecordedRequest storage = atOther.get(0);
        assertNull(storage.getHeaders().get("X-Mirror-Key"));
        assertNull(storage.getHeaders().get("Cookie"));
        assertNull(storage.getHeaders().get("Authorization"));
    }
}
