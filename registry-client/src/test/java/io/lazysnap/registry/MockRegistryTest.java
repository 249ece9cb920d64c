package io.lazysnap.registry;

import io.lazysnap.estargz.BlobSource;
import mockwebserver3.Dispatcher;
import mockwebserver3.MockResponse;
import mockwebserver3.MockWebServer;
import mockwebserver3.RecordedRequest;
import mockwebserver3.SocketEffect;
import okio.Buffer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Base64;
import java.util.List;
import java.util.Optional;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Function;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The interceptor chain against scripted servers: auth, ranges, retries, redirects, digests, coalescing. */
class MockRegistryTest {

    private static final Pattern RANGE = Pattern.compile("bytes=(\\d+)-(\\d+)");
    private static final byte[] BLOB = new byte[100_000];
    private static final Descriptor BLOB_DESC;

    static {
        new Random(42).nextBytes(BLOB);
        BLOB_DESC = Descriptor.of(MediaTypes.OCI_LAYER_GZIP, BLOB);
    }

    private final MockWebServer server = new MockWebServer();
    private final List<RecordedRequest> seen = new CopyOnWriteArrayList<>();
    private Reference repo;

    @BeforeEach
    void start() throws Exception {
        server.start();
        repo = Reference.parse(host(server) + "/team/app:v1");
    }

    @AfterEach
    void stop() {
        server.close();
    }

    static String host(MockWebServer s) {
        return s.getHostName() + ":" + s.getPort();
    }

    private void serve(Function<RecordedRequest, MockResponse> handler) {
        server.setDispatcher(new Dispatcher() {
            @Override
            public MockResponse dispatch(RecordedRequest request) {
                seen.add(request);
                return handler.apply(request);
            }
        });
    }

    private RegistryClient.Builder client() {
        return RegistryClient.builder().plainHttp(host(server))
                .retries(4, Duration.ofMillis(5), Duration.ofMillis(20))
                .requestTimeout(Duration.ofSeconds(5)).totalTimeout(Duration.ofSeconds(20));
    }

    /** A 206 for the request's Range over {@link #BLOB}, or a 200 with all of it. */
    static MockResponse ranged(RecordedRequest r) {
        String range = r.getHeaders().get("Range");
        if (range == null) {
            return new MockResponse.Builder().body(new Buffer().write(BLOB)).build();
        }
        Matcher m = RANGE.matcher(range);
        assertTrue(m.matches(), range);
        int start = Integer.parseInt(m.group(1));
        int end = Integer.parseInt(m.group(2));
        return new MockResponse.Builder().code(206)
                .addHeader("Content-Range", "bytes " + start + "-" + end + "/" + BLOB.length)
                .body(new Buffer().write(Arrays.copyOfRange(BLOB, start, end + 1))).build();
    }

    /** A 206 for the request's Range whose body ends after its first {@code bytes}: a body that broke off. */
    private static MockResponse brokenOff(RecordedRequest r, int bytes) {
        Matcher m = RANGE.matcher(r.getHeaders().get("Range"));
        assertTrue(m.matches());
        int start = Integer.parseInt(m.group(1));
        return new MockResponse.Builder().code(206)
                .addHeader("Content-Range", "bytes " + start + "-" + m.group(2) + "/" + BLOB.length)
                .body(new Buffer().write(Arrays.copyOfRange(BLOB, start, start + bytes))).build();
    }

    private static String manifestJson() {
        return "{\"schemaVersion\":2,\"mediaType\":\"" + MediaTypes.OCI_MANIFEST + "\",\"config\":"
                + Json.write(Descriptor.of(MediaTypes.OCI_CONFIG, "{}".getBytes())) + ",\"layers\":["
                + Json.write(BLOB_DESC) + "]}";
    }

    private static MockResponse manifest() {
        return new MockResponse.Builder().addHeader("Content-Type", MediaTypes.OCI_MANIFEST)
                .body(manifestJson()).build();
    }

    private static final String BUNDLE = "application/vnd.dev.sigstore.bundle.v0.3+json";
    private static final Descriptor BUNDLE_REFERRER =
            Descriptor.of(MediaTypes.OCI_MANIFEST, "bundle".getBytes()).withArtifactType(BUNDLE);
    private static final Descriptor SBOM_REFERRER =
            Descriptor.of(MediaTypes.OCI_MANIFEST, "sbom".getBytes()).withArtifactType("application/spdx+json");

    private static MockResponse referrers(Descriptor... entries) {
        StringBuilder json = new StringBuilder("{\"schemaVersion\":2,\"mediaType\":\"" + MediaTypes.OCI_INDEX
                + "\",\"manifests\":[");
        for (int i = 0; i < entries.length; i++) {
            json.append(i == 0 ? "" : ",").append(Json.write(entries[i]));
        }
        return new MockResponse.Builder().addHeader("Content-Type", MediaTypes.OCI_INDEX)
                .body(json.append("]}").toString()).build();
    }

    @Test
    void anonymousBearerTokenIsFetchedOnceAndSentUpFront() throws Exception {
        AtomicInteger tokens = new AtomicInteger();
        serve(r -> {
            String path = r.getUrl().encodedPath();
            if (path.equals("/token")) {
                tokens.incrementAndGet();
                assertEquals("registry.test", r.getUrl().queryParameter("service"));
                assertEquals("repository:team/app:pull", r.getUrl().queryParameter("scope"));
                assertNull(r.getHeaders().get("Authorization"), "anonymous");
                return new MockResponse.Builder().body("{\"token\":\"tok-1\",\"expires_in\":300}").build();
            }
            if (!"Bearer tok-1".equals(r.getHeaders().get("Authorization"))) {
                return new MockResponse.Builder().code(401).addHeader("WWW-Authenticate",
                        "Bearer realm=\"" + server.url("/token") + "\",service=\"registry.test\","
                                + "scope=\"repository:team/app:pull\"").build();
            }
            if (path.contains("/referrers/")) {
                return referrers(BUNDLE_REFERRER);
            }
            return path.contains("/manifests/") ? manifest() : ranged(r);
        });
        try (RegistryClient c = client().build()) {
            assertEquals(List.of(BUNDLE_REFERRER), c.referrers(repo, BLOB_DESC.digest(), null).orElseThrow());
            Manifest m = c.manifest(repo);
            assertEquals(BLOB_DESC.digest(), m.layers().get(0).digest());
            assertArrayEquals(BLOB, c.blob(repo, BLOB_DESC));
            assertArrayEquals(Arrays.copyOfRange(BLOB, 10, 20), c.blobSource(repo, BLOB_DESC).read(10, 10));
        }
        assertEquals(1, tokens.get());
        assertEquals(1, seen.stream().filter(r -> r.getHeaders().get("Authorization") == null
                && !r.getUrl().encodedPath().equals("/token")).count(), "only the first request is challenged");
    }

    @Test
    void referrersFilteredByTheRegistryAreListed() throws Exception {
        serve(r -> {
            assertEquals("/v2/team/app/referrers/" + BLOB_DESC.digest(), r.getUrl().encodedPath());
            assertEquals(BUNDLE, r.getUrl().queryParameter("artifactType"));
            assertEquals(MediaTypes.OCI_INDEX, r.getHeaders().get("Accept"));
            return referrers(BUNDLE_REFERRER).newBuilder().addHeader("OCI-Filters-Applied", "artifactType").build();
        });
        try (RegistryClient c = client().build()) {
            List<Descriptor> listed = c.referrers(repo, BLOB_DESC.digest(), BUNDLE).orElseThrow();
            assertEquals(List.of(BUNDLE_REFERRER), listed);
            assertEquals(BUNDLE, listed.get(0).artifactType().orElseThrow());
        }
    }

    @Test
    void referrersTheRegistryDidNotFilterAreFilteredHere() throws Exception {
        serve(r -> referrers(SBOM_REFERRER, BUNDLE_REFERRER, Descriptor.of(MediaTypes.OCI_MANIFEST, "x".getBytes())));
        try (RegistryClient c = client().build()) {
            assertEquals(List.of(BUNDLE_REFERRER), c.referrers(repo, BLOB_DESC.digest(), BUNDLE).orElseThrow());
            assertEquals(3, c.referrers(repo, BLOB_DESC.digest(), null).orElseThrow().size());
            assertNull(seen.get(1).getUrl().queryParameter("artifactType"));
        }
    }

    @Test
    void referrersPagesAreFollowedOnTheSameHost() throws Exception {
        serve(r -> r.getUrl().queryParameter("last") == null
                ? referrers(SBOM_REFERRER).newBuilder().addHeader("Link", "</v2/team/app/referrers/"
                + BLOB_DESC.digest() + "?n=1&last=a>; rel=\"next\"").build()
                : referrers(BUNDLE_REFERRER));
        try (RegistryClient c = client().build()) {
            assertEquals(List.of(SBOM_REFERRER, BUNDLE_REFERRER),
                    c.referrers(repo, BLOB_DESC.digest(), null).orElseThrow());
        }
        assertEquals("n=1&last=a", seen.get(1).getUrl().encodedQuery());
    }

    @Test
    void aRegistryWithoutTheReferrersApiAnswersEmptyAtOnce() throws Exception {
        serve(r -> new MockResponse.Builder().code(404)
                .body("{\"errors\":[{\"code\":\"NOT_FOUND\"}]}").build());
        try (RegistryClient c = client().build()) {
            assertTrue(c.referrers(repo, BLOB_DESC.digest(), BUNDLE).isEmpty());
        }
        assertEquals(1, seen.size(), "a 404 is an answer, not retried");
    }

    @Test
    void basicAuthAndIdentityTokensNeverReachLogsOrMessages(@TempDir Path tmp) throws Exception {
        String password = "pw-Secret-4711";
        String identity = "idtoken-Secret-0815";
        serve(r -> {
            String path = r.getUrl().encodedPath();
            String auth = r.getHeaders().get("Authorization");
            if (path.startsWith("/v2/team/")) {
                if (auth == null) {
                    return new MockResponse.Builder().code(401)
                            .addHeader("WWW-Authenticate", "Basic realm=\"registry\"").build();
                }
                return auth.equals("Basic " + Base64.getEncoder().encodeToString(("alice:" + password).getBytes()))
                        ? manifest() : new MockResponse.Builder().code(401)
                        .addHeader("WWW-Authenticate", "Basic realm=\"registry\"").build();
            }
            if (path.startsWith("/v2/other/")) {
                return auth == null ? new MockResponse.Builder().code(401).addHeader("WWW-Authenticate",
                        "Bearer realm=\"" + server.url("/oauth") + "\",service=\"svc\"").build()
                        : new MockResponse.Builder().code(403).body("{\"errors\":[{\"code\":\"DENIED\"}]}").build();
            }
            // The token endpoint refuses the refresh token it is given.
            assertTrue(r.getBody().utf8().contains("refresh_token=" + identity));
            return new MockResponse.Builder().code(401).body("{\"error\":\"invalid " + identity + "\"}").build();
        });
        try (RegistryClient c = client().credentials(host(server), "alice", password).build()) {
            assertEquals(BLOB_DESC.digest(), c.manifest(repo).layers().get(0).digest());
        }
        try (RegistryClient c = client().credentials(host(server), "alice", "wrong-" + password).build()) {
            RegistryException e = assertThrows(RegistryException.class, () -> c.manifest(repo));
            assertEquals(401, e.status());
            assertNoSecret(e, password);
        }
        Path config = Files.writeString(tmp.resolve("config.json"), "{\"auths\":{\"" + host(server)
                + "\":{\"auth\":\"" + Base64.getEncoder().encodeToString("bob:x".getBytes())
                + "\",\"identitytoken\":\"" + identity + "\"}}}");
        try (RegistryClient c = client().dockerConfig(config).build()) {
            RegistryException e = assertThrows(RegistryException.class,
                    () -> c.manifest(Reference.parse(host(server) + "/other/app:v1")));
            assertTrue(e.getMessage().contains("token request to http://" + host(server) + "/oauth"),
                    e.getMessage());
            assertNoSecret(e, identity);
        }
        assertFalse(Credential.password("alice", password).toString().contains(password));
        assertFalse(Credential.identityToken("", identity).toString().contains(identity));
        String log = Files.readString(Path.of("target/test-debug.log"));
        assertTrue(log.contains("RegistryClient") || log.contains(host(server)), "the debug log is written");
        for (String secret : List.of(password, identity, "tok-1")) {
            assertFalse(log.contains(secret), "the log holds " + secret);
        }
    }

    private static void assertNoSecret(Throwable e, String secret) {
        String b64 = Base64.getEncoder().encodeToString(("alice:" + secret).getBytes(StandardCharsets.UTF_8));
        for (Throwable t = e; t != null; t = t.getCause()) {
            assertFalse(String.valueOf(t.getMessage()).contains(secret), t.toString());
            assertFalse(String.valueOf(t.getMessage()).contains(b64), t.toString());
        }
    }

    @Test
    void aServerIgnoringRangeStillYieldsExactlyTheRange() throws Exception {
        serve(r -> new MockResponse.Builder().body(new Buffer().write(BLOB)).build());
        try (RegistryClient c = client().build()) {
            BlobSource source = c.blobSource(repo, BLOB_DESC);
            assertArrayEquals(Arrays.copyOfRange(BLOB, 5000, 5100), source.read(5000, 100));
            assertArrayEquals(Arrays.copyOfRange(BLOB, 0, 1), source.read(0, 1));
        }
    }

    @Test
    void aBlobsTailComesWithItsSizeOrNotAtAllFromARegistryIgnoringRanges() throws Exception {
        serve(r -> {
            String range = r.getHeaders().get("Range");
            int count = Integer.parseInt(range.substring("bytes=-".length()));
            int start = Math.max(0, BLOB.length - count);
            return new MockResponse.Builder().code(206)
                    .addHeader("Content-Range", "bytes " + start + "-" + (BLOB.length - 1) + "/" + BLOB.length)
                    .body(new Buffer().write(Arrays.copyOfRange(BLOB, start, BLOB.length))).build();
        });
        try (RegistryClient c = client().build()) {
            BlobTail tail = c.tail(repo, BLOB_DESC.digest(), 4096).orElseThrow();
            assertEquals(BLOB.length, tail.size());
            assertEquals(BLOB.length - 4096, tail.offset());
            assertArrayEquals(Arrays.copyOfRange(BLOB, BLOB.length - 4096, BLOB.length), tail.bytes());
            assertEquals("bytes=-4096", seen.get(0).getHeaders().get("Range"));
            assertArrayEquals(BLOB, c.tail(repo, BLOB_DESC.digest(), BLOB.length + 10).orElseThrow().bytes(),
                    "a blob shorter than the tail asked for comes whole");
        }

        serve(r -> new MockResponse.Builder().body(new Buffer().write(BLOB)).build());
        try (RegistryClient c = client().build()) {
            assertEquals(Optional.empty(), c.tail(repo, BLOB_DESC.digest(), 4096));
        }

        serve(r -> new MockResponse.Builder().code(206).addHeader("Content-Range", "bytes 0-4095/" + BLOB.length)
                .body(new Buffer().write(Arrays.copyOfRange(BLOB, 0, 4096))).build());
        try (RegistryClient c = client().build()) {
            IOException e = assertThrows(IOException.class, () -> c.tail(repo, BLOB_DESC.digest(), 4096));
            assertTrue(e.getMessage().contains("Content-Range 'bytes 0-4095/100000' for the last 4096 bytes of blob "
                    + BLOB_DESC.digest()), e.getMessage());
        }
    }

    @Test
    void bulkRangesGoStraightToTheFileAndARegistryIgnoringRangesIsNoticed(@TempDir Path tmp) throws Exception {
        try (RegistryClient c = client().build();
             FileChannel file = FileChannel.open(tmp.resolve("spool"), StandardOpenOption.CREATE_NEW,
                     StandardOpenOption.READ, StandardOpenOption.WRITE)) {
            serve(MockRegistryTest::ranged);
            c.range(repo, BLOB_DESC, 4096, 1000, file);
            assertFalse(c.ignoresRanges(repo));
            serve(r -> new MockResponse.Builder().body(new Buffer().write(BLOB)).build());
            c.range(repo, BLOB_DESC, 0, 4096, file);
            assertTrue(c.ignoresRanges(repo), "a 200 for a range is remembered for the registry");
            ByteBuffer written = ByteBuffer.allocate(5096);
            file.read(written, 0);
            assertArrayEquals(Arrays.copyOfRange(BLOB, 0, 5096), written.array());

            AtomicInteger requests = new AtomicInteger();
            serve(r -> {
                requests.incrementAndGet();
                if (r.getHeaders().get("Range") == null) {
                    return new MockResponse.Builder().body(new Buffer().write(Arrays.copyOfRange(BLOB, 0, 50))).build();
                }
                return brokenOff(r, 10);
            });
            IOException e = assertThrows(IOException.class, () -> c.range(repo, BLOB_DESC, 0, 100, file));
            assertTrue(e.getMessage().contains("truncated"), e.getMessage());
            assertEquals(4, requests.get(), "a body that breaks off every time is tried as often as a request");
            try (InputStream whole = c.stream(repo, BLOB_DESC)) {
                assertArrayEquals(Arrays.copyOfRange(BLOB, 0, 50), whole.readAllBytes(), "streamed as sent");
            }
        }
    }

    @Test
    void aBulkRangeWhoseBodyBreaksOffIsRequestedAgainFromWhereItBrokeOff(@TempDir Path tmp) throws Exception {
        List<String> ranges = new CopyOnWriteArrayList<>();
        serve(r -> {
            ranges.add(r.getHeaders().get("Range"));
            if (ranges.size() > 2) {
                return ranged(r);
            }
            return brokenOff(r, 300);
        });
        List<Integer> retries = new CopyOnWriteArrayList<>();
        AtomicLong received = new AtomicLong();
        RegistryListener listener = new RegistryListener() {
            @Override
            public void retrying(String host, String what, int attempt, String cause) {
                retries.add(attempt);
            }

            @Override
            public void received(String host, long bytes) {
                received.addAndGet(bytes);
            }
        };
        try (RegistryClient c = client().listener(listener).build();
             FileChannel file = FileChannel.open(tmp.resolve("spool"), StandardOpenOption.CREATE_NEW,
                     StandardOpenOption.READ, StandardOpenOption.WRITE)) {
            c.range(repo, BLOB_DESC, 1000, 5000, file);
            ByteBuffer written = ByteBuffer.allocate(5000);
            file.read(written, 1000);
            assertArrayEquals(Arrays.copyOfRange(BLOB, 1000, 6000), written.array());
        }
        assertEquals(List.of("bytes=1000-5999", "bytes=1300-5999", "bytes=1600-5999"), ranges);
        assertEquals(List.of(2, 3), retries, "each resume is reported as a retry, as a retried request is");
        assertEquals(300 + 300 + 4400, received.get(), "every byte that arrived is counted once");
    }

    @Test
    void aLazyRangeWhoseBodyBreaksOffIsRequestedAgainFromWhereItBrokeOff() throws Exception {
        List<String> ranges = new CopyOnWriteArrayList<>();
        serve(r -> {
            ranges.add(r.getHeaders().get("Range"));
            return ranges.size() > 1 ? ranged(r) : brokenOff(r, 300);
        });
        try (RegistryClient c = client().build()) {
            assertArrayEquals(Arrays.copyOfRange(BLOB, 1000, 6000), c.range(repo, BLOB_DESC, 1000, 5000));
        }
        assertEquals(List.of("bytes=1000-5999", "bytes=1300-5999"), ranges,
                "the 300 bytes that arrived are kept, not fetched again");
    }

    @Test
    void aRangeReadPieceByPieceHandsEachByteOverOnceInOrderAcrossABreakAndHoldsARequestSlot() throws Exception {
        List<String> ranges = new CopyOnWriteArrayList<>();
        serve(r -> {
            ranges.add(r.getHeaders().get("Range"));
            return ranges.size() > 1 ? ranged(r) : brokenOff(r, 300);
        });
        CountDownLatch firstPiece = new CountDownLatch(1);
        CountDownLatch mayGoOn = new CountDownLatch(1);
        java.io.ByteArrayOutputStream got = new java.io.ByteArrayOutputStream();
        ByteBuffer window = ByteBuffer.allocate(700);
        BlobSource.Receiver receiver = new BlobSource.Receiver() {
            @Override
            public ByteBuffer window(int done, int rest) {
                return window.clear().limit(Math.min(700, rest));
            }

            @Override
            public void received(ByteBuffer bytes, int done) throws IOException {
                assertEquals(got.size(), done, "pieces come in order, each once");
                got.write(bytes.array(), bytes.position(), bytes.remaining());
                firstPiece.countDown();
                try {
                    mayGoOn.await(5, TimeUnit.SECONDS);
                } catch (InterruptedException e) {
                    throw new IOException(e);
                }
            }
        };
        ExecutorService pool = Executors.newFixedThreadPool(2);
        try (RegistryClient c = client().rangeReadsInFlight(1).build()) {
            BlobSource source = c.blobSource(repo, BLOB_DESC);
            Future<?> piecewise = pool.submit(() -> {
                source.read(1000, 5000, receiver);
                return null;
            });
            assertTrue(firstPiece.await(5, TimeUnit.SECONDS));
            Future<byte[]> other = pool.submit(() -> source.read(20_000, 10));
            Thread.sleep(300);
            assertEquals(1, ranges.size(), "the other read waits for the only request slot: " + ranges);
            mayGoOn.countDown();
            piecewise.get(5, TimeUnit.SECONDS);
            assertArrayEquals(Arrays.copyOfRange(BLOB, 20_000, 20_010), other.get(5, TimeUnit.SECONDS));
        } finally {
            pool.shutdownNow();
        }
        assertArrayEquals(Arrays.copyOfRange(BLOB, 1000, 6000), got.toByteArray());
        assertEquals(List.of("bytes=1000-5999", "bytes=1300-5999", "bytes=20000-20009"), ranges);
    }

    @Test
    void wrongRangesAndTruncatedBodiesAreRetriedAndNeverReturnedShort() throws Exception {
        AtomicInteger n = new AtomicInteger();
        serve(r -> switch (n.incrementAndGet()) {
            case 1 -> new MockResponse.Builder().code(206).addHeader("Content-Range", "bytes 0-99/100000")
                    .body(new Buffer().write(Arrays.copyOfRange(BLOB, 0, 100))).build();
            case 2 -> new MockResponse.Builder().code(206).addHeader("Content-Range", "bytes 1000-1099/100000")
                    .body(new Buffer().write(Arrays.copyOfRange(BLOB, 1000, 1050))).build();
            case 3 -> new MockResponse.Builder().code(206).addHeader("Content-Range", "bytes 1000-1099/100000")
                    .body(new Buffer().write(Arrays.copyOfRange(BLOB, 1000, 1100)))
                    .onResponseBody(new SocketEffect.CloseSocket(true, false, false)).build();
            default -> ranged(r);
        });
        List<String> retries = new CopyOnWriteArrayList<>();
        try (RegistryClient c = client().retries(5, Duration.ofMillis(1), Duration.ofMillis(5))
                .listener(new RegistryListener() {
                    @Override
                    public void retrying(String host, String what, int attempt, String cause) {
                        retries.add(cause);
                    }
                }).build()) {
            assertArrayEquals(Arrays.copyOfRange(BLOB, 1000, 1100), c.blobSource(repo, BLOB_DESC).read(1000, 100));
        }
        assertEquals(4, n.get());
        assertEquals(3, retries.size(), retries.toString());
        assertTrue(retries.get(0).contains("Content-Range 'bytes 0-99/100000'"), retries.get(0));
    }

    @Test
    void transientFailuresAreRetriedWithBackoff() throws Exception {
        AtomicInteger n = new AtomicInteger();
        serve(r -> switch (n.incrementAndGet()) {
            case 1 -> new MockResponse.Builder().code(503).build();
            case 2 -> new MockResponse.Builder().code(429).addHeader("Retry-After", "0").build();
            case 3 -> new MockResponse.Builder().onResponseStart(new SocketEffect.CloseSocket(true, false, false))
                    .build();
            default -> manifest();
        });
        try (RegistryClient c = client().retries(5, Duration.ofMillis(1), Duration.ofMillis(5)).build()) {
            assertEquals(1, c.manifest(repo).layers().size());
        }
        assertEquals(4, n.get());
    }

    @Test
    void nonIdempotentRequestsAndClientErrorsAreNotRetried() throws Exception {
        serve(r -> new MockResponse.Builder().code(r.getMethod().equals("HEAD") ? 404 : 503).build());
        try (RegistryClient c = client().build()) {
            RegistryException e = assertThrows(RegistryException.class,
                    () -> c.pushBlob(repo, "x", new byte[]{1}));
            assertEquals(503, e.status());
        }
        assertEquals(List.of("HEAD", "POST"), seen.stream().map(RecordedRequest::getMethod).toList());
    }

    @Test
    void aStalledServerFailsAtTheDeadlineNamingHostBlobAndCause() {
        serve(r -> new MockResponse.Builder().headersDelay(10, TimeUnit.SECONDS).build());
        long start = System.nanoTime();
        try (RegistryClient c = client().requestTimeout(Duration.ofMillis(300)).totalTimeout(Duration.ofSeconds(1))
                .retries(10, Duration.ofMillis(50), Duration.ofMillis(100)).build()) {
            RegistryException e = assertThrows(RegistryException.class,
                    () -> c.blobSource(repo, BLOB_DESC).read(0, 10));
            long millis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
            assertTrue(millis < 2500, "took " + millis + " ms");
            assertTrue(e.getMessage().contains(host(server)), e.getMessage());
            assertTrue(e.getMessage().contains(BLOB_DESC.digest()), e.getMessage());
            assertTrue(e.getMessage().toLowerCase().contains("timeout")
                    || e.getMessage().contains("timed out") || e.getMessage().contains("deadline"), e.getMessage());
        }
    }

    @Test
    void aRegistryTricklingARangeFailsTheReadAtTheRangeDeadlineNotTheDownloadOne() {
        // A byte every 50 ms: never idle long enough for the 5 s request timeout, far too slow for 1,000 bytes.
        serve(r -> ranged(r).newBuilder().throttleBody(1, 50, TimeUnit.MILLISECONDS).build());
        long start = System.nanoTime();
        try (RegistryClient c = client().totalTimeout(Duration.ofSeconds(20)).rangeTimeout(Duration.ofSeconds(1))
                .build()) {
            RegistryException e = assertThrows(RegistryException.class,
                    () -> c.blobSource(repo, BLOB_DESC).read(0, 1000));
            long millis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
            assertTrue(millis >= 900 && millis < 5000, "took " + millis + " ms");
            assertTrue(e.getMessage().contains("deadline"), e.getMessage());
            assertTrue(e.getMessage().contains(BLOB_DESC.digest()), e.getMessage());
        }
    }

    @Test
    void wholeBlobsKeepTheLongerDeadline() throws Exception {
        // 100 bytes at a byte every 20 ms (about 2 s): past the range deadline, within the total one.
        byte[] small = Arrays.copyOf(BLOB, 100);
        Descriptor desc = Descriptor.of(MediaTypes.OCI_CONFIG, small);
        serve(r -> new MockResponse.Builder().body(new Buffer().write(small))
                .throttleBody(1, 20, TimeUnit.MILLISECONDS).build());
        try (RegistryClient c = client().totalTimeout(Duration.ofSeconds(20)).rangeTimeout(Duration.ofMillis(500))
                .build()) {
            assertArrayEquals(small, c.blob(repo, desc));
        }
    }

    @Test
    void alteredBytesFailTheDigestCheck() {
        byte[] altered = BLOB.clone();
        altered[500] ^= 1;
        serve(r -> r.getUrl().encodedPath().contains("/manifests/")
                ? new MockResponse.Builder().addHeader("Content-Type", MediaTypes.OCI_MANIFEST)
                .addHeader("Docker-Content-Digest", Digests.sha256("other".getBytes())).body(manifestJson()).build()
                : new MockResponse.Builder().body(new Buffer().write(altered)).build());
        try (RegistryClient c = client().build()) {
            RegistryException e = assertThrows(RegistryException.class, () -> c.blob(repo, BLOB_DESC));
            assertTrue(e.getMessage().contains("digest mismatch"), e.getMessage());
            assertTrue(e.getMessage().contains(BLOB_DESC.digest()), e.getMessage());
            RegistryException m = assertThrows(RegistryException.class, () -> c.manifest(repo));
            assertTrue(m.getMessage().contains("digest mismatch"), m.getMessage());
            RegistryException pinned = assertThrows(RegistryException.class,
                    () -> c.manifest(repo.withDigest(Digests.sha256("x".getBytes()))));
            assertTrue(pinned.getMessage().contains("digest mismatch"), pinned.getMessage());
        }
        assertEquals(12, seen.size(), "each of the three fetches was retried up to the limit of 4 attempts");
    }

    @Test
    void redirectsAreRememberedAndRefreshedWhenStorageRefuses() throws Exception {
        try (MockWebServer storage = new MockWebServer()) {
            storage.start();
            AtomicInteger storageCalls = new AtomicInteger();
            List<String> storageAuth = new CopyOnWriteArrayList<>();
            storage.setDispatcher(new Dispatcher() {
                @Override
                public MockResponse dispatch(RecordedRequest r) {
                    storageAuth.add(String.valueOf(r.getHeaders().get("Authorization")));
                    // The second request finds its signed URL expired.
                    return storageCalls.incrementAndGet() == 2 ? new MockResponse.Builder().code(403).build()
                            : ranged(r);
                }
            });
            AtomicInteger signatures = new AtomicInteger();
            serve(r -> {
                if (r.getHeaders().get("Authorization") == null) {
                    return new MockResponse.Builder().code(401)
                            .addHeader("WWW-Authenticate", "Basic realm=\"r\"").build();
                }
                return new MockResponse.Builder().code(307).addHeader("Location",
                        storage.url("/bucket/blob").newBuilder().addQueryParameter("X-Amz-Signature",
                                "sig-Secret-" + signatures.incrementAndGet()).build()).build();
            });
            try (RegistryClient c = client().credentials(host(server), "u", "p").build()) {
                BlobSource source = c.blobSource(repo, BLOB_DESC);
                for (int i = 0; i < 4; i++) {
                    assertArrayEquals(Arrays.copyOfRange(BLOB, i * 100, i * 100 + 50), source.read(i * 100, 50));
                }
            }
            assertEquals(2, signatures.get(), "the registry is asked again only after storage refused");
            assertEquals(5, storageCalls.get());
            assertEquals(Set.of("null"), Set.copyOf(storageAuth), "registry credentials never go to storage");
            assertFalse(Files.readString(Path.of("target/test-debug.log")).contains("sig-Secret"));
        }
    }

    @Test
    void queuedReadsAreCoalescedIntoOneRequest() throws Exception {
        CountDownLatch release = serveHoldingTheFirstRange();
        ExecutorService pool = Executors.newFixedThreadPool(4);
        try (RegistryClient c = client().rangeReadsInFlight(1).coalesceGap(1000).build()) {
            BlobSource source = c.blobSource(repo, BLOB_DESC);
            List<Future<byte[]>> reads = new ArrayList<>();
            reads.add(pool.submit(() -> source.read(0, 100)));
            while (seen.isEmpty()) {
                Thread.sleep(5);
            }
            int[][] queued = {{200, 100}, {400, 100}, {5000, 100}};
            for (int[] q : queued) {
                reads.add(pool.submit(() -> source.read(q[0], q[1])));
            }
            Thread.sleep(300); // let the three readers queue behind the one in flight
            release.countDown();
            assertArrayEquals(Arrays.copyOfRange(BLOB, 0, 100), reads.get(0).get(10, TimeUnit.SECONDS));
            for (int i = 0; i < queued.length; i++) {
                assertArrayEquals(Arrays.copyOfRange(BLOB, queued[i][0], queued[i][0] + queued[i][1]),
                        reads.get(i + 1).get(10, TimeUnit.SECONDS));
            }
        } finally {
            pool.shutdownNow();
        }
        assertEquals(Set.of("bytes=0-99", "bytes=200-499", "bytes=5000-5099"),
                Set.copyOf(seen.stream().map(r -> r.getHeaders().get("Range")).toList()));
    }

    /** Serves ranges; the answer to bytes 0-99 waits until the returned latch is released. */
    private CountDownLatch serveHoldingTheFirstRange() {
        CountDownLatch release = new CountDownLatch(1);
        serve(r -> {
            if ("bytes=0-99".equals(r.getHeaders().get("Range"))) {
                try {
                    release.await(10, TimeUnit.SECONDS);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }
            return ranged(r);
        });
        return release;
    }

    @Test
    void readersOfOneCoalescedRangeGetArraysOfTheirOwn() throws Exception {
        CountDownLatch release = serveHoldingTheFirstRange();
        ExecutorService pool = Executors.newFixedThreadPool(3);
        try (RegistryClient c = client().rangeReadsInFlight(1).coalesceGap(1000).build()) {
            BlobSource source = c.blobSource(repo, BLOB_DESC);
            Future<byte[]> first = pool.submit(() -> source.read(0, 100));
            while (seen.isEmpty()) {
                Thread.sleep(5);
            }
            Future<byte[]> a = pool.submit(() -> source.read(200, 100));
            Future<byte[]> b = pool.submit(() -> source.read(200, 100));
            Thread.sleep(300); // both queue behind the read in flight, and go out as one request
            release.countDown();
            first.get(10, TimeUnit.SECONDS);
            byte[] mine = a.get(10, TimeUnit.SECONDS);
            byte[] theirs = b.get(10, TimeUnit.SECONDS);
            assertArrayEquals(Arrays.copyOfRange(BLOB, 200, 300), mine);
            assertArrayEquals(mine, theirs);
            assertNotSame(mine, theirs, "the request's array went to one reader, a copy to the other");
        } finally {
            pool.shutdownNow();
        }
        assertEquals(List.of("bytes=0-99", "bytes=200-299"),
                seen.stream().map(r -> r.getHeaders().get("Range")).toList());
    }
}
