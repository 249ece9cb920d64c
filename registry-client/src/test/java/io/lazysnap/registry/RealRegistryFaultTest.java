package io.lazysnap.registry;

import io.lazysnap.testkit.Registry;
import io.lazysnap.testkit.FaultProxy;
import io.lazysnap.testkit.Fault;
import io.lazysnap.estargz.BlobSource;
import io.lazysnap.estargz.Chunk;
import io.lazysnap.estargz.ConversionResult;
import io.lazysnap.estargz.DigestMismatchException;
import io.lazysnap.estargz.EstargzLayer;
import io.lazysnap.estargz.LayerConverter;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveOutputStream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.function.Executable;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Faults injected by a {@link FaultProxy} between the client and a real registry: resets, 503s, stalls, truncated
 * and short bodies, misplaced ranges and altered bytes. The client either returns exactly the right bytes or fails
 * in time, naming the host, the object and the cause; altered range bytes are left to the chunk digest.
 */
@Timeout(value = 90, unit = TimeUnit.SECONDS)
class RealRegistryFaultTest {

    private static final String REPOSITORY = "faults/app";
    private static final byte[] LAYER = new byte[300_000];

    @TempDir
    static Path dir;
    static Registry registry;
    static Manifest manifest;
    static Descriptor layer;

    private FaultProxy proxy;
    private final List<String> retries = new CopyOnWriteArrayList<>();

    @BeforeAll
    static void startRegistryAndPush() throws Exception {
        new Random(11).nextBytes(LAYER);
        registry = Registry.start(dir);
        Reference ref = Reference.parse(registry.host() + "/" + REPOSITORY + ":v1");
        try (RegistryClient direct = RegistryClient.builder().plainHttp(registry.host()).build()) {
            layer = direct.pushBlob(ref, MediaTypes.OCI_LAYER_GZIP, LAYER);
            Descriptor config = direct.pushBlob(ref, MediaTypes.OCI_CONFIG, "{}".getBytes(StandardCharsets.UTF_8));
            manifest = Manifest.build(config, List.of(layer), Map.of());
            direct.pushManifest(ref, MediaTypes.OCI_MANIFEST, manifest.bytes());
        }
    }

    @AfterAll
    static void stopRegistry() throws Exception {
        if (registry != null) {
            registry.close();
        }
    }

    @BeforeEach
    void startProxy() throws IOException {
        proxy = FaultProxy.start(registry.host());
    }

    @AfterEach
    void stopProxy() throws IOException {
        proxy.close();
    }

    /** The repository, reached through the proxy. */
    private Reference viaProxy() {
        return Reference.parse(proxy.host() + "/" + REPOSITORY + ":v1");
    }

    /** A client of the proxy that retries quickly, with seconds of slack per attempt for a busy machine. */
    private RegistryClient.Builder client() {
        return RegistryClient.builder().plainHttp(proxy.host())
                .retries(6, Duration.ofMillis(20), Duration.ofMillis(200))
                .requestTimeout(Duration.ofSeconds(10)).totalTimeout(Duration.ofSeconds(60))
                .listener(new RegistryListener() {
                    @Override
                    public void retrying(String host, String what, int attempt, String cause) {
                        retries.add(cause);
                    }
                });
    }

    @Test
    void wholeManifestsAndBlobsComeThroughResetsErrorsTruncationAndAlteredBytes() throws Exception {
        try (RegistryClient client = client().build()) {
            proxy.inject(Fault.reset(), Fault.status(503), Fault.truncate(), Fault.alterMiddleByte());
            assertArrayEquals(manifest.bytes(), client.manifest(viaProxy()).bytes());
            assertEquals(5, proxy.requests());
            assertEquals(4, retries.size(), retries.toString());
            assertTrue(retries.get(3).contains("digest mismatch"), retries.get(3));

            proxy.inject(Fault.alterMiddleByte(), Fault.truncate(), Fault.reset(), Fault.status(503));
            assertArrayEquals(LAYER, client.blob(viaProxy(), layer));
            assertEquals(0, proxy.faultsLeft());

            proxy.inject(times(6, Fault.alterMiddleByte()));
            assertNamesHostBlobAndCause(() -> client.blob(viaProxy(), layer), "digest mismatch");
        }
    }

    @Test
    void rangeAnswersThatAreShortTruncatedOrMisplacedAreRetriedAndNeverReturnedShort() throws Exception {
        try (RegistryClient client = client().build()) {
            BlobSource source = client.blobSource(viaProxy(), layer);
            proxy.inject(Fault.shiftContentRange(), Fault.shortBody(), Fault.truncate(), Fault.reset(),
                    Fault.status(503));
            assertArrayEquals(Arrays.copyOfRange(LAYER, 1000, 51_000), source.read(1000, 50_000));
            assertEquals(6, proxy.requests());
            assertEquals(5, retries.size(), retries.toString());
            assertTrue(retries.get(0).contains("Content-Range 'bytes 1001-51000/"), retries.get(0));
            assertTrue(retries.get(1).contains("truncated body"), retries.get(1));

            proxy.inject(times(6, Fault.shortBody()));
            assertNamesHostBlobAndCause(() -> source.read(1000, 50_000), "truncated body");
            // Far more than 6: OkHttp itself retries a request once more when a reused connection is reset.
            proxy.inject(times(100, Fault.reset()));
            assertNamesHostBlobAndCause(() -> source.read(1000, 50_000), "Connection reset");
        }
    }

    @Test
    void alteredBytesInARangeAreReturnedAndCaughtByTheChunkDigest() throws Exception {
        byte[] content = "lazily read, verified per chunk\n".repeat(512).getBytes(StandardCharsets.UTF_8);
        // gzip level 0 stores the file verbatim, so a flipped byte decodes to a changed file byte, not bad gzip.
        ByteArrayOutputStream estargz = new ByteArrayOutputStream();
        ConversionResult converted = LayerConverter.builder().compressionLevel(0).build()
                .convert(new ByteArrayInputStream(tar("data.txt", content)), estargz);
        Descriptor blob = Descriptor.of(converted.mediaType(), estargz.toByteArray())
                .withAnnotations(converted.annotations());
        try (RegistryClient direct = RegistryClient.builder().plainHttp(registry.host()).build()) {
            direct.pushBlob(Reference.parse(registry.host() + "/" + REPOSITORY), blob.mediaType(),
                    estargz.toByteArray());
        }
        try (RegistryClient client = client().build()) {
            BlobSource source = client.blobSource(viaProxy(), blob);
            EstargzLayer layer = EstargzLayer.open(source, blob.annotations());
            assertTrue(layer.tocVerified());
            Chunk chunk = layer.toc().entry("data.txt").orElseThrow().chunks().get(0);
            int offset = Math.toIntExact(chunk.memberOffset());
            int length = Math.toIntExact(chunk.memberRange().length());

            proxy.inject(Fault.alterMiddleByte());
            byte[] member = source.read(offset, length);
            byte[] expected = Arrays.copyOfRange(estargz.toByteArray(), offset, offset + length);
            assertEquals(length, member.length, "a range cannot be checked here, so it is returned whole");
            assertEquals(1, differingBytes(expected, member));

            proxy.inject(Fault.alterMiddleByte());
            assertThrows(DigestMismatchException.class, () -> layer.readChunk(chunk));
            assertArrayEquals(content, layer.readChunk(chunk));
        }
    }

    @Test
    void stalledAnswersFailAtTheDeadlineNamingHostBlobAndCause() throws Exception {
        Duration total = Duration.ofSeconds(4);
        try (RegistryClient client = client().requestTimeout(Duration.ofSeconds(2)).totalTimeout(total)
                .retries(10, Duration.ofMillis(50), Duration.ofMillis(200)).build()) {
            BlobSource source = client.blobSource(viaProxy(), layer);
            proxy.inject(times(10, Fault.stallMidBody()));
            assertFailsInTime(total, () -> source.read(0, 100_000));
            proxy.inject(times(10, Fault.stall()));
            assertFailsInTime(total, () -> client.blob(viaProxy(), layer));
        }
    }

    private void assertFailsInTime(Duration deadline, Executable call) {
        long start = System.nanoTime();
        RegistryException e = assertNamesHostBlobAndCause(call, "");
        long millis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
        // Slack for a loaded machine, far below the stall itself, which lasts until the client hangs up.
        assertTrue(millis < deadline.toMillis() + 3000, "took " + millis + " ms");
        String message = e.getMessage().toLowerCase(Locale.ROOT);
        assertTrue(message.contains("timeout") || message.contains("timed out") || message.contains("deadline"),
                e.getMessage());
    }

    private RegistryException assertNamesHostBlobAndCause(Executable call, String cause) {
        RegistryException e = assertThrows(RegistryException.class, call);
        assertTrue(e.getMessage().contains(proxy.host()), e.getMessage());
        assertTrue(e.getMessage().contains(layer.digest()), e.getMessage());
        assertTrue(e.getMessage().contains(cause), e.getMessage());
        return e;
    }

    private static Fault[] times(int n, Fault fault) {
        Fault[] faults = new Fault[n];
        Arrays.fill(faults, fault);
        return faults;
    }

    private static int differingBytes(byte[] a, byte[] b) {
        int n = 0;
        for (int i = 0; i < a.length; i++) {
            n += a[i] == b[i] ? 0 : 1;
        }
        return n;
    }

    private static byte[] tar(String name, byte[] content) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try (TarArchiveOutputStream tar = new TarArchiveOutputStream(out)) {
            TarArchiveEntry entry = new TarArchiveEntry(name);
            entry.setSize(content.length);
            tar.putArchiveEntry(entry);
            tar.write(content);
            tar.closeArchiveEntry();
        }
        return out.toByteArray();
    }
}
