package io.lazysnap.daemon.remote;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.lazysnap.estargz.BlobSource;
import io.lazysnap.estargz.ConversionResult;
import io.lazysnap.estargz.EstargzLayer;
import io.lazysnap.estargz.LayerConverter;
import io.lazysnap.registry.Platform;
import io.lazysnap.registry.Reference;
import io.lazysnap.registry.RegistryClient;
import io.lazysnap.daemon.snapshot.LayerLabels;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Random;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Layers opened ahead of their Prepare belong to the image (and manifest) they were opened for. */
class RegistryLayerProviderTest {

    @TempDir
    Path dir;

    private final ExecutorService background = Executors.newFixedThreadPool(2);
    private MockBlobRegistry server;
    private RegistryClient registry;

    @BeforeEach
    void start() throws IOException {
        server = new MockBlobRegistry();
        registry = RegistryClient.builder().plainHttp(host()).retries(1, Duration.ZERO, Duration.ZERO).build();
    }

    @AfterEach
    void stop() throws IOException {
        background.shutdownNow();
        registry.close();
        server.close();
    }

    @Test
    void aLayerOpenedAheadForOneImageIsNotServedForAnotherImageWithTheSameLayerDigest() throws Exception {
        ConversionResult base = convert("base");
        ConversionResult shared = convert("shared");
        String manifestA = publish("team/a", base, shared.annotations(), shared);
        // Image B lists the same layer blob, but its manifest names another TOC digest: B's own descriptor must
        // decide (the TOC does not match it, so B's layer is not served lazily), not A's.
        Map<String, String> wrongToc = new HashMap<>(shared.annotations());
        wrongToc.put(LayerLabels.TOC_DIGEST, "sha256:" + "0".repeat(64));
        String manifestB = publish("team/b", null, wrongToc, shared);
        RegistryLayerProvider provider = new RegistryLayerProvider(registry,
                new Manifests(registry, Platform.LINUX_AMD64), new NoMounts(), false, WholePullPolicy.never(),
                background, background);

        // A's first layer: its Prepare opens A's other layer (the shared one) ahead.
        assertTrue(provider.open(layer("team/a", manifestA, base, base, shared)).isPresent());
        MockBlobRegistry.waitUntil(() -> server.paths().contains("/v2/team/a/blobs/" + shared.blobDigest()));

        assertEquals(Optional.empty(), provider.open(layer("team/b", manifestB, shared, shared)).map(l -> "served"),
                "image B's layer was served from the TOC opened ahead for image A");
        assertTrue(server.paths().contains("/v2/team/b/blobs/" + shared.blobDigest()), "B's layer was read from B: "
                + server.paths());
        assertTrue(provider.open(layer("team/a", manifestA, shared, shared)).isPresent(),
                "A's own Prepare of the shared layer is served");
    }

    @Test
    void aLayerMostlyPrefetchedIsLeftToBePulledWholeWhenThePolicySaysSo() throws Exception {
        ConversionResult layer = convert("app", List.of("app.bin"));
        String manifest = publish("team/app", null, layer.annotations(), layer);
        WholePullPolicy half = new WholePullPolicy(0.5, 0);
        RegistryLayerProvider provider = new RegistryLayerProvider(registry,
                new Manifests(registry, Platform.LINUX_AMD64), new NoMounts(), false, half, background, background);
        assertEquals(Optional.empty(), provider.open(layer("team/app", manifest, layer, layer)).map(l -> "served"));
        assertTrue(half.chosen(layer.blobDigest()));

        WholePullPolicy small = new WholePullPolicy(0.5, 1 << 20);
        assertTrue(new RegistryLayerProvider(registry, new Manifests(registry, Platform.LINUX_AMD64), new NoMounts(),
                false, small, background, background).open(layer("team/app", manifest, layer, layer)).isPresent(),
                "a layer smaller than one round of parallel range requests stays lazy");
        assertFalse(small.chosen(layer.blobDigest()));

        WholePullPolicy never = WholePullPolicy.never();
        assertTrue(new RegistryLayerProvider(registry, new Manifests(registry, Platform.LINUX_AMD64), new NoMounts(),
                false, never, background, background).open(layer("team/app", manifest, layer, layer)).isPresent());
        assertFalse(never.chosen(layer.blobDigest()));

        ConversionResult unlisted = convert("lib");
        String other = publish("team/lib", null, unlisted.annotations(), unlisted);
        assertTrue(provider.open(layer("team/lib", other, unlisted, unlisted)).isPresent(),
                "a layer without a prefetch list stays lazy");
        assertFalse(half.chosen(unlisted.blobDigest()));
    }

    @Test
    void aLayerWhoseTocDoesNotFitInTheHeapSetAsideForTocsIsLeftToBeDownloaded() throws Exception {
        ConversionResult layer = convert("app");
        String manifest = publish("team/full", null, layer.annotations(), layer);
        NoMounts full = new NoMounts(Optional.of("its TOC does not fit"));
        assertEquals(Optional.empty(), new RegistryLayerProvider(registry, new Manifests(registry,
                Platform.LINUX_AMD64), full, false, WholePullPolicy.never(), background, background)
                .open(layer("team/full", manifest, layer, layer)).map(l -> "served"));
        assertEquals(0, full.started, "nothing was started for it");

        NoMounts room = new NoMounts();
        assertTrue(new RegistryLayerProvider(registry, new Manifests(registry, Platform.LINUX_AMD64), room, false,
                WholePullPolicy.never(), background, background).open(layer("team/full", manifest, layer, layer))
                .isPresent(), "with room, it is served lazily");
        assertEquals(1, room.started);
    }

    @Test
    void aLayerIsServedFromTheManifestItsLabelsPinNotFromWhereTheTagPointsNow() throws Exception {
        ConversionResult layer = convert("app");
        String verified = publish("team/app", null, layer.annotations(), layer);
        Map<String, String> wrongToc = new HashMap<>(layer.annotations());
        wrongToc.put(LayerLabels.TOC_DIGEST, "sha256:" + "0".repeat(64));
        publish("team/app", null, wrongToc, layer);   // the tag moves after the gate verified `verified`
        RegistryLayerProvider provider = new RegistryLayerProvider(registry,
                new Manifests(registry, Platform.LINUX_AMD64), new NoMounts(), false, WholePullPolicy.never(),
                background, background);

        assertTrue(provider.open(layer("team/app", verified, layer, layer)).isPresent());
        Map<String, String> unpinned = new HashMap<>(labels("team/app", verified, layer, layer));
        unpinned.remove(LayerLabels.CRI_MANIFEST_DIGEST);
        unpinned.put(LayerLabels.TARGET, "sha256:another-chain");
        assertEquals(Optional.empty(), provider.open(LayerLabels.from(unpinned).orElseThrow()).map(l -> "served"),
                "without a pinned manifest the tag's current one decides (and its TOC digest does not match)");
    }

    @Test
    @org.junit.jupiter.api.Timeout(30)
    void aPrepareWhoseManifestIsStillOnItsWayReadsTheLayersEndMeanwhile() throws Exception {
        ConversionResult layer = convert("app");
        String manifest = publish("team/early", null, layer.annotations(), layer);
        server.delayManifests(300);
        RegistryLayerProvider provider = new RegistryLayerProvider(registry,
                new Manifests(registry, Platform.LINUX_AMD64), new NoMounts(), false, WholePullPolicy.never(),
                background, background);
        // containerd passes the layer's containerd.io/snapshot/ annotations on as labels, the TOC digest among them.
        Map<String, String> labels = new HashMap<>(labels("team/early", manifest, layer, layer));
        labels.put(LayerLabels.TOC_DIGEST, layer.annotations().get(LayerLabels.TOC_DIGEST));

        LayerLabels prepared = LayerLabels.from(labels).orElseThrow();
        provider.ahead(prepared); // as the snapshotter does first, before the Prepare's other work fetches the manifest
        assertTrue(provider.open(prepared).isPresent());
        List<String> events = server.events();
        String blob = "/v2/team/early/blobs/" + layer.blobDigest();
        int early = events.indexOf("asked " + blob + " bytes=-" + EstargzLayer.FIRST_READ);
        int manifestSent = events.indexOf("answered /v2/team/early/manifests/" + manifest);
        assertTrue(early >= 0 && manifestSent >= 0 && early < manifestSent,
                "the layer's end was asked for while its manifest was on its way: " + events);
        assertFalse(events.contains("asked " + blob + " bytes=" + (layer.blobSize() - EstargzLayer.FIRST_READ) + "-"
                + (layer.blobSize() - 1)), "and was not asked for again: " + events);
    }

    @Test
    void withoutATocLabelOrWithTheManifestAtHandNothingIsReadEarly() throws Exception {
        ConversionResult layer = convert("app");
        String manifest = publish("team/late", null, layer.annotations(), layer);
        RegistryLayerProvider provider = new RegistryLayerProvider(registry,
                new Manifests(registry, Platform.LINUX_AMD64), new NoMounts(), false, WholePullPolicy.never(),
                background, background);
        LayerLabels unclaimed = layer("team/late", manifest, layer, layer);
        provider.ahead(unclaimed);
        assertTrue(provider.open(unclaimed).isPresent());
        Map<String, String> labels = new HashMap<>(labels("team/late", manifest, layer, layer));
        labels.put(LayerLabels.TOC_DIGEST, layer.annotations().get(LayerLabels.TOC_DIGEST));
        labels.put(LayerLabels.TARGET, "sha256:another-chain");
        LayerLabels atHand = LayerLabels.from(labels).orElseThrow();
        provider.ahead(atHand);
        assertTrue(provider.open(atHand).isPresent());
        assertTrue(server.events().stream().noneMatch(e -> e.contains("bytes=-")), server.events().toString());
    }

    @Test
    void anImageReferenceThatDoesNotParseFailsTheOpenNotTheLookAhead() throws Exception {
        ConversionResult layer = convert("app");
        Map<String, String> labels = new HashMap<>(labels("team/bad", "sha256:" + "1".repeat(64), layer, layer));
        labels.put(LayerLabels.CRI_IMAGE_REF, "not a reference");
        labels.put(LayerLabels.TOC_DIGEST, layer.annotations().get(LayerLabels.TOC_DIGEST));
        LayerLabels bad = LayerLabels.from(labels).orElseThrow();
        RegistryLayerProvider provider = new RegistryLayerProvider(registry,
                new Manifests(registry, Platform.LINUX_AMD64), new NoMounts(), false, WholePullPolicy.never(),
                background, background);
        provider.ahead(bad); // the snapshotter calls it outside the handling that falls back to a download
        assertThrows(IllegalArgumentException.class, () -> provider.open(bad));
        assertEquals(List.of(), server.paths(), "nothing was asked of the registry");
    }

    /** What a Prepare's labels (CRI family) say of {@code layer} of {@code repository}:v1, pinned to {@code manifest}. */
    private LayerLabels layer(String repository, String manifest, ConversionResult layer,
                              ConversionResult... imageLayers) {
        return LayerLabels.from(labels(repository, manifest, layer, imageLayers)).orElseThrow();
    }

    /** Prepare labels (CRI family) for {@code layer} of {@code repository}:v1, pinned to {@code manifest}. */
    private Map<String, String> labels(String repository, String manifest, ConversionResult layer,
                                       ConversionResult... imageLayers) {
        return Map.of(LayerLabels.TARGET, "sha256:chain-" + layer.blobDigest(),
                LayerLabels.CRI_IMAGE_REF, host() + "/" + repository + ":v1",
                LayerLabels.CRI_LAYER_DIGEST, layer.blobDigest(),
                LayerLabels.CRI_MANIFEST_DIGEST, manifest,
                LayerLabels.CRI_IMAGE_LAYERS, String.join(",",
                        Arrays.stream(imageLayers).map(ConversionResult::blobDigest).toList()));
    }

    @Test
    @org.junit.jupiter.api.Timeout(30)
    void aPrepareWhoseLayerIsStillQueuedToBeOpenedAheadOpensItItselfAndTheQueuedOpenIsSkipped() throws Exception {
        ConversionResult base = convert("base");
        ConversionResult app = convert("app");
        String manifest = publish("team/q", base, app.annotations(), app);
        CountDownLatch release = new CountDownLatch(1);
        ExecutorService busy = Executors.newSingleThreadExecutor();
        busy.execute(waitingFor(release)); // the opener pool is busy with another image's layers
        try {
            RegistryLayerProvider provider = new RegistryLayerProvider(registry,
                    new Manifests(registry, Platform.LINUX_AMD64), new NoMounts(), false, WholePullPolicy.never(),
                    busy, busy, Duration.ofMillis(200));
            assertTrue(provider.open(layer("team/q", manifest, base, base, app)).isPresent());
            long start = System.nanoTime();
            assertTrue(provider.open(layer("team/q", manifest, app, base, app)).isPresent(),
                    "the layer queued to be opened ahead is opened by its own Prepare");
            assertTrue(System.nanoTime() - start < Duration.ofSeconds(5).toNanos(), "without waiting for the queue");
            long appReads = server.requests("/blobs/" + app.blobDigest());
            release.countDown();
            busy.shutdown();
            assertTrue(busy.awaitTermination(5, TimeUnit.SECONDS));
            assertEquals(appReads, server.requests("/blobs/" + app.blobDigest()),
                    "the open ahead that was given up never ran: " + server.paths());
        } finally {
            release.countDown();
            busy.shutdownNow();
        }
    }

    @Test
    @org.junit.jupiter.api.Timeout(30)
    void layersThatDoNotFitTheOpenAheadQueueAreOpenedByTheirOwnPrepareAtOnce() throws Exception {
        ConversionResult base = convert("base");
        ConversionResult app = convert("app");
        String manifest = publish("team/full", base, app.annotations(), app);
        CountDownLatch release = new CountDownLatch(1);
        ExecutorService full = new ThreadPoolExecutor(1, 1, 0, TimeUnit.MILLISECONDS, new ArrayBlockingQueue<>(1));
        full.execute(waitingFor(release));
        full.execute(waitingFor(release)); // thread and queue taken: every further task is rejected
        try {
            RegistryLayerProvider provider = new RegistryLayerProvider(registry,
                    new Manifests(registry, Platform.LINUX_AMD64), new NoMounts(), false, WholePullPolicy.never(),
                    full, full, Duration.ofSeconds(20));
            assertTrue(provider.open(layer("team/full", manifest, base, base, app)).isPresent());
            long start = System.nanoTime();
            assertTrue(provider.open(layer("team/full", manifest, app, base, app)).isPresent());
            assertTrue(System.nanoTime() - start < Duration.ofSeconds(5).toNanos(),
                    "not after the 20 s an open ahead is waited for");
        } finally {
            release.countDown();
            full.shutdownNow();
        }
    }

    /** A task that holds its pool's thread until {@code release}. */
    private static Runnable waitingFor(CountDownLatch release) {
        return () -> {
            try {
                release.await();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        };
    }

    @Test
    void callersWantingAManifestThatIsBeingFetchedShareTheFetch() throws Exception {
        String digest = publish("team/a", null, convert("x").annotations(), convert("x"));
        Manifests manifests = new Manifests(registry, Platform.LINUX_AMD64);
        Reference image = Reference.parse(host() + "/team/a:v1");
        server.delayManifests(300);
        ExecutorService callers = Executors.newFixedThreadPool(6);
        try {
            List<java.util.concurrent.Future<io.lazysnap.registry.Manifest>> answers = new ArrayList<>();
            for (int i = 0; i < 6; i++) {
                answers.add(callers.submit(() -> manifests.pinned(image, digest)));
            }
            for (var answer : answers) {
                assertEquals(digest, answer.get().descriptor().digest());
            }
        } finally {
            callers.shutdownNow();
        }
        assertEquals(1, server.requests("/manifests/" + digest), server.paths().toString());
    }

    /** Serves an image of {@code first} (if any) and {@code second} with {@code secondAnnotations}; its digest. */
    private String publish(String repository, ConversionResult first, Map<String, String> secondAnnotations,
                           ConversionResult second) {
        List<String> layers = new ArrayList<>();
        if (first != null) {
            layers.add(descriptor(first, first.annotations()));
        }
        layers.add(descriptor(second, secondAnnotations));
        return server.publish(repository, "{}".getBytes(StandardCharsets.UTF_8), layers);
    }

    private static String descriptor(ConversionResult layer, Map<String, String> annotations) {
        StringBuilder a = new StringBuilder();
        annotations.forEach((k, v) -> a.append(a.length() == 0 ? "" : ",").append('"').append(k).append("\":\"")
                .append(v).append('"'));
        return "{\"mediaType\":\"" + layer.mediaType() + "\",\"digest\":\"" + layer.blobDigest() + "\",\"size\":"
                + layer.blobSize() + ",\"annotations\":{" + a + "}}";
    }

    /** An eStargz layer of one file whose content is {@code name}. */
    private ConversionResult convert(String name) throws Exception {
        return convert(name, List.of());
    }

    /** A layer of {@code <name>.txt} and, listed for prefetch, {@code <name>.bin}: 256 KiB of random bytes. */
    private ConversionResult convert(String name, List<String> prioritized) throws Exception {
        Path tree = Files.createDirectories(dir.resolve(name));
        Files.writeString(tree.resolve(name + ".txt"), name.repeat(1000));
        byte[] random = new byte[256 << 10];
        new Random(5).nextBytes(random);
        Files.write(tree.resolve(name + ".bin"), random);
        Path tar = dir.resolve(name + ".tar");
        Process p = new ProcessBuilder("tar", "-C", tree.toString(), "-cf", tar.toString(), ".").inheritIO().start();
        assertEquals(0, p.waitFor());
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ConversionResult result = LayerConverter.builder().prioritizedFiles(prioritized).build()
                .convert(new ByteArrayInputStream(Files.readAllBytes(tar)), out);
        server.blob(out.toByteArray());
        return result;
    }

    private String host() {
        return server.host();
    }

    /** Opening never mounts; nothing here is mounted. */
    private static final class NoMounts implements LayerMounter {
        private final Optional<String> refusal;
        private int started;

        NoMounts() {
            this(Optional.empty());
        }

        /** Refuses every layer for the heap, saying {@code refusal}, if present. */
        NoMounts(Optional<String> refusal) {
            this.refusal = refusal;
        }

        @Override
        public Started start(String layerDigest, BlobSource blob, EstargzLayer layer, Reopener reopener) {
            started++;
            return new Started() {
                @Override
                public Mount mount(Path mountpoint) {
                    throw new AssertionError("open must not mount");
                }

                @Override
                public void close() {
                }
            };
        }

        @Override
        public Optional<String> admission(long entries) {
            return refusal;
        }

        @Override
        public void forget(EstargzLayer layer) {
        }
    }
}
