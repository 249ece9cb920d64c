package io.lazysnap.daemon.remote;

import static org.junit.jupiter.api.Assertions.assertTrue;

import io.lazysnap.registry.MediaTypes;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.function.BooleanSupplier;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import mockwebserver3.Dispatcher;
import mockwebserver3.MockResponse;
import mockwebserver3.MockWebServer;
import mockwebserver3.RecordedRequest;
import okio.Buffer;

/**
 * An in-process registry of manifests and blobs (ranges answered, suffix ranges too) that records the path of every
 * request, and the order in which requests arrived and manifests were answered.
 */
final class MockBlobRegistry implements AutoCloseable {

    private static final Pattern RANGE = Pattern.compile("bytes=(\\d*)-(\\d+)");

    private final MockWebServer server = new MockWebServer();
    private final Map<String, byte[]> blobs = new ConcurrentHashMap<>();
    private final Map<String, byte[]> manifests = new ConcurrentHashMap<>();
    private final ConcurrentLinkedQueue<String> paths = new ConcurrentLinkedQueue<>();
    private final ConcurrentLinkedQueue<String> events = new ConcurrentLinkedQueue<>();
    private volatile long manifestDelayMillis;

    MockBlobRegistry() throws IOException {
        server.setDispatcher(new Dispatcher() {
            @Override
            public MockResponse dispatch(RecordedRequest request) {
                String path = request.getUrl().encodedPath();
                paths.add(path);
                String range = request.getHeaders().get("Range");
                events.add("asked " + path + (range == null ? "" : " " + range));
                String last = path.substring(path.lastIndexOf('/') + 1);
                if (path.contains("/manifests/") && manifests.containsKey(path)) {
                    try {
                        Thread.sleep(manifestDelayMillis);
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                    }
                    events.add("answered " + path);
                    return new MockResponse.Builder().addHeader("Content-Type", MediaTypes.OCI_MANIFEST)
                            .body(new Buffer().write(manifests.get(path))).build();
                }
                if (path.contains("/blobs/") && blobs.containsKey(last)) {
                    return ranged(blobs.get(last), range);
                }
                return new MockResponse.Builder().code(404).build();
            }
        });
        server.start();
    }

    /** {@code host:port}, the registry part of references to it. */
    String host() {
        return server.getHostName() + ":" + server.getPort();
    }

    /** Serves {@code bytes}; their digest. */
    String blob(byte[] bytes) {
        String digest = sha256(bytes);
        blobs.put(digest, bytes);
        return digest;
    }

    /** Stops serving the blob {@code digest}: it is then missing (404). */
    void forget(String digest) {
        blobs.remove(digest);
    }

    /**
     * Serves an OCI manifest of {@code config} and {@code layers} (descriptor JSON objects) as
     * {@code repository:v1} and by digest; its digest.
     */
    String publish(String repository, byte[] config, List<String> layers) {
        String configDigest = blob(config);
        byte[] manifest = ("{\"schemaVersion\":2,\"mediaType\":\"" + MediaTypes.OCI_MANIFEST + "\",\"config\":"
                + "{\"mediaType\":\"" + MediaTypes.OCI_CONFIG + "\",\"digest\":\"" + configDigest + "\",\"size\":"
                + config.length + "},\"layers\":[" + String.join(",", layers) + "]}").getBytes(StandardCharsets.UTF_8);
        String digest = sha256(manifest);
        manifests.put("/v2/" + repository + "/manifests/v1", manifest);
        manifests.put("/v2/" + repository + "/manifests/" + digest, manifest);
        return digest;
    }

    /** Paths requested so far, in order. */
    List<String> paths() {
        return List.copyOf(paths);
    }

    /**
     * What happened, in order: {@code asked <path>[ <Range header>]} as each request arrived, {@code answered <path>}
     * as each manifest was sent (after {@link #delayManifests}).
     */
    List<String> events() {
        return List.copyOf(events);
    }

    /** How many requests named a path ending in {@code suffix}. */
    long requests(String suffix) {
        return paths.stream().filter(p -> p.endsWith(suffix)).count();
    }

    void delayManifests(long millis) {
        manifestDelayMillis = millis;
    }

    static String sha256(byte[] bytes) {
        try {
            return "sha256:" + java.util.HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    static void waitUntil(BooleanSupplier condition) throws InterruptedException {
        for (int i = 0; i < 200 && !condition.getAsBoolean(); i++) {
            Thread.sleep(25);
        }
        assertTrue(condition.getAsBoolean(), "timed out");
    }

    private static MockResponse ranged(byte[] blob, String range) {
        if (range == null) {
            return new MockResponse.Builder().body(new Buffer().write(blob)).build();
        }
        Matcher m = RANGE.matcher(range);
        assertTrue(m.matches(), range);
        boolean suffix = m.group(1).isEmpty();
        int start = suffix ? Math.max(0, blob.length - Integer.parseInt(m.group(2))) : Integer.parseInt(m.group(1));
        int end = suffix ? blob.length - 1 : Math.min(Integer.parseInt(m.group(2)), blob.length - 1);
        return new MockResponse.Builder().code(206)
                .addHeader("Content-Range", "bytes " + start + "-" + end + "/" + blob.length)
                .body(new Buffer().write(Arrays.copyOfRange(blob, start, end + 1))).build();
    }

    @Override
    public void close() throws IOException {
        server.close();
    }
}
