package io.lazysnap.daemon.remote;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import com.github.benmanes.caffeine.cache.Scheduler;
import io.lazysnap.estargz.BlobSource;
import io.lazysnap.estargz.DigestMismatchException;
import io.lazysnap.estargz.EstargzLayer;
import io.lazysnap.estargz.LayerAnnotations;
import io.lazysnap.estargz.LayerFormatException;
import io.lazysnap.estargz.TocTooLargeException;
import io.lazysnap.registry.Descriptor;
import io.lazysnap.registry.Manifest;
import io.lazysnap.registry.Reference;
import io.lazysnap.registry.RegistryClient;
import io.lazysnap.daemon.root.Root;
import io.lazysnap.daemon.snapshot.LayerLabels;
import io.lazysnap.daemon.snapshot.RemoteLayerProvider;
import java.io.Closeable;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executor;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Serves eStargz and zstd:chunked layers straight from their registry: the labels name the image and layer, the
 * registry client fetches the footer and TOC with one or two range requests, the TOC is checked against its
 * digest annotation, and the {@link LayerMounter} puts the files on the snapshot's {@code fs} directory.
 *
 * <p>When containerd prepares the first layer of an image, the image's other layers are opened in the background:
 * their TOCs fetched and their prefetch started, so layers that containerd prepares one by one are opened and
 * prefetched in parallel, before their own Prepare comes. A Prepare that must fetch the manifest first (containerd's
 * CRI pulls; the daemon's own pulls have it already) reads its layer's end meanwhile ({@link EarlyTail}).
 */
public final class RegistryLayerProvider implements RemoteLayerProvider {

    private static final Logger log = LoggerFactory.getLogger(RegistryLayerProvider.class);
    /**
     * How long a Prepare waits for its layer's open ahead: one still queued behind a large image's other layers,
     * or stuck on a stalled registry, is then given up (skipped if it has not started) and the layer is opened
     * by the Prepare itself.
     */
    private static final Duration AHEAD_PATIENCE = Duration.ofSeconds(10);
    private static final Set<String> SEEKABLE_MEDIA_TYPES = Set.of(
            "application/vnd.oci.image.layer.v1.tar+gzip",
            "application/vnd.docker.image.rootfs.diff.tar.gzip",
            "application/vnd.oci.image.layer.v1.tar+zstd");

    /**
     * A layer whose TOC was fetched and checked and whose prefetch has started, with what its snapshot records: the
     * state is serialised here, off the Prepare's path (the first serialisation in a process builds its serializer,
     * 4-17 ms measured).
     */
    private record OpenedLayer(byte[] state, EstargzLayer estargz, RecordedReads reads,
                               SnapshotReopener reopener, LayerMounter.Started started) {
    }

    /**
     * Opens a mounted layer again from what its snapshot directory records (its state, and the footer and TOC reads),
     * without a registry round trip: for its TOC, dropped from the heap while the layer was idle.
     */
    private final class SnapshotReopener implements LayerMounter.Reopener {
        private volatile Path snapshotDir;

        SnapshotReopener(Path snapshotDir) {
            this.snapshotDir = snapshotDir;
        }

        /** The layer's snapshot now records it. */
        void recordedIn(Path dir) {
            snapshotDir = dir;
        }

        @Override
        public EstargzLayer reopen() throws IOException {
            Path dir = snapshotDir;
            if (dir == null) {
                throw new IOException("the layer is not mounted yet: nothing records its TOC");
            }
            LayerState state = LayerState.load(dir);
            return EstargzLayer.reopen(recordedBlob(dir, state), state.layer().descriptor().annotations());
        }
    }

    private final RegistryClient registry;
    private final LayerResolver resolver;
    private final LayerMounter mounter;
    private final Object admitting = new Object();
    private final boolean allowUnverifiedToc;
    private final WholePullPolicy wholePull;
    private final ExecutorService background;
    private final Executor earlyReads;
    private final Duration aheadPatience;
    /** Layers opened ahead of their Prepare; one whose Prepare never comes stops fetching when it expires. */
    private final Cache<ImageLayerKey, CompletableFuture<OpenedLayer>> ahead = Caffeine.newBuilder()
            .maximumSize(1024).expireAfterWrite(Duration.ofMinutes(5)).scheduler(Scheduler.systemScheduler())
            .<ImageLayerKey, CompletableFuture<OpenedLayer>>evictionListener((key, opening, cause) -> {
                if (opening != null) {
                    opening.thenAccept(o -> {
                        if (o != null) {
                            o.started().close();
                        }
                    });
                }
            })
            .build();

    /** Ends of layers read early by {@link #ahead}, for their Prepare's {@link #open} (which may never come). */
    private final Cache<ImageLayerKey, EarlyTail> earlyTails = Caffeine.newBuilder()
            .maximumSize(1024).expireAfterWrite(Duration.ofMinutes(1)).build();

    /**
     * @param wholePull  which layers are left to the unpacker though they could be served lazily
     * @param background opens layers ahead of their Prepare
     * @param earlyReads reads a layer's end while its Prepare waits for the manifest; bounded without a queue: a
     *                   read it has no thread for is made after the manifest instead
     */
    public RegistryLayerProvider(RegistryClient registry, Manifests manifests, LayerMounter mounter,
                                 boolean allowUnverifiedToc, WholePullPolicy wholePull, ExecutorService background,
                                 Executor earlyReads) {
        this(registry, manifests, mounter, allowUnverifiedToc, wholePull, background, earlyReads, AHEAD_PATIENCE);
    }

    /** @param aheadPatience how long a Prepare waits for its layer's open ahead before opening it itself */
    RegistryLayerProvider(RegistryClient registry, Manifests manifests, LayerMounter mounter,
                          boolean allowUnverifiedToc, WholePullPolicy wholePull, ExecutorService background,
                          Executor earlyReads, Duration aheadPatience) {
        this.registry = registry;
        this.resolver = new LayerResolver(manifests);
        this.mounter = mounter;
        this.allowUnverifiedToc = allowUnverifiedToc;
        this.wholePull = wholePull;
        this.background = background;
        this.earlyReads = earlyReads;
        this.aheadPatience = aheadPatience;
    }

    /**
     * Opens the image's other layers in the background and, when the labels say this layer is eStargz and its
     * manifest is still to be fetched, starts reading the layer's end: its footer's round trip then overlaps the
     * manifest's, which the rest of the Prepare waits for first.
     */
    @Override
    public void ahead(LayerLabels layer) {
        openAhead(layer);
        try {
            if (layer.claimsToc() && !resolver.hasManifest(layer)) {
                earlyTails.put(ImageLayerKey.of(layer, layer.layerDigest()), EarlyTail.start(registry,
                        Reference.parse(layer.imageRef()), layer.layerDigest(), EstargzLayer.FIRST_READ, earlyReads));
            }
        } catch (RuntimeException e) {
            // An image reference that does not parse: the layer's open fails on it, and containerd downloads it.
            log.debug("not reading the end of layer {} early: {}", layer.layerDigest(), e.toString());
        }
    }

    @Override
    public Optional<RemoteLayer> open(LayerLabels layer) throws IOException {
        openAhead(layer);
        ImageLayerKey key = ImageLayerKey.of(layer, layer.layerDigest());
        EarlyTail tail = Optional.ofNullable(earlyTails.asMap().remove(key)).orElse(EarlyTail.NONE);
        CompletableFuture<OpenedLayer> pending = ahead.asMap().remove(key);
        Optional<OpenedLayer> opened = pending != null ? await(pending, layer)
                : open(resolver.resolve(layer, layer.layerDigest()), layer.imageRef(), tail);
        return opened.map(o -> new MountingLayer(o, layer));
    }

    /** Mounts an opened layer, then lets its Prepare wait for the prefetch. */
    private final class MountingLayer implements RemoteLayer {
        private final OpenedLayer opened;
        private final LayerLabels labels;
        private volatile LayerMounter.Mount mount;

        MountingLayer(OpenedLayer opened, LayerLabels labels) {
            this.opened = opened;
            this.labels = labels;
        }

        @Override
        public Closeable mount(Path snapshotDir) throws IOException {
            LayerState.save(snapshotDir, opened.state());
            opened.reads().save(snapshotDir.resolve(LayerState.READS_FILE));
            opened.reopener().recordedIn(snapshotDir);
            mount = opened.started().mount(Root.files(snapshotDir));
            log.info("mounted {} layer {} of {} lazily ({} entries)", opened.estargz().format(), labels.layerDigest(),
                    labels.imageRef(), opened.estargz().toc().entries().size());
            return mount;
        }

        @Override
        public void awaitReady() throws InterruptedException {
            mount.awaitPrefetch();
        }

        @Override
        public void discard() {
            opened.started().close();
        }
    }

    @Override
    public Closeable restore(Path snapshotDir) throws IOException {
        // A mount left there is served again if its connection was kept, else detached first (by fuse-fs).
        Path fs = Root.files(snapshotDir);
        LayerState state = LayerState.load(snapshotDir);
        BlobSource blob = recordedBlob(snapshotDir, state);
        LayerMounter.Mount mount = mounter.start(state.digest(), blob,
                EstargzLayer.reopen(blob, state.layer().descriptor().annotations()), new SnapshotReopener(snapshotDir))
                .mount(fs);
        // Every layer of the node is restored at once; those no container reads soon make room for the rest.
        mount.unused();
        return mount;
    }

    @Override
    public void removed(Path snapshotDir) throws IOException {
        LayerState state = LayerState.load(snapshotDir);
        mounter.forget(EstargzLayer.reopen(recordedBlob(snapshotDir, state), state.layer().descriptor().annotations()));
    }

    /** The layer's blob, with the footer and TOC reads recorded at its first mount served from disk. */
    private BlobSource recordedBlob(Path snapshotDir, LayerState state) throws IOException {
        ResolvedLayer layer = state.layer();
        RecordedReads reads = RecordedReads.load(snapshotDir.resolve(LayerState.READS_FILE));
        return reads.replaying(registry.blobSource(layer.repository(), layer.descriptor()));
    }

    /** Starts opening the image's other layers, so that their Prepare finds the TOC already fetched. */
    private void openAhead(LayerLabels labels) {
        for (String digest : labels.imageLayers()) {
            if (!digest.equals(labels.layerDigest())) {
                ahead.get(ImageLayerKey.of(labels, digest), key -> opening(() -> open(labels, key.layerDigest())));
            }
        }
    }

    /**
     * Starts opening every layer of {@code manifest}, an image being pulled through this daemon, before containerd
     * prepares any: their Prepare (labels naming {@code imageRef} and the manifest's digest) finds them opened.
     */
    public void openAhead(Reference imageRef, Manifest manifest) {
        for (Descriptor layer : manifest.layers()) {
            ImageLayerKey key = ImageLayerKey.of(imageRef, manifest, layer.digest());
            ahead.get(key, k -> opening(() -> open(new ResolvedLayer(imageRef, layer), imageRef.toString(),
                    EarlyTail.NONE)));
        }
    }

    private interface Opening {
        Optional<OpenedLayer> open() throws IOException;
    }

    /**
     * Opens a layer on the background pool. A future given up before its task starts skips the task; one given up
     * while it runs has the layer it opened closed.
     */
    private CompletableFuture<OpenedLayer> opening(Opening opening) {
        CompletableFuture<OpenedLayer> result = new CompletableFuture<>();
        try {
            background.execute(() -> {
                if (result.isDone()) {
                    return;
                }
                try {
                    OpenedLayer opened = opening.open().orElse(null);
                    if (!result.complete(opened) && opened != null) {
                        opened.started().close();
                    }
                } catch (IOException | RuntimeException e) {
                    result.completeExceptionally(e);
                }
            });
        } catch (RejectedExecutionException e) {
            result.cancel(false); // the pool's queue is full: the layer's own Prepare opens it
        }
        return result;
    }

    /**
     * The layer opened ahead; if that takes longer than {@link #aheadPatience}, it is given up and the layer opened
     * here.
     */
    private Optional<OpenedLayer> await(CompletableFuture<OpenedLayer> pending, LayerLabels layer)
            throws IOException {
        try {
            return Optional.ofNullable(pending.get(aheadPatience.toMillis(), TimeUnit.MILLISECONDS));
        } catch (TimeoutException e) {
            if (!pending.cancel(false)) {
                return await(pending, layer); // it finished just now
            }
            log.info("layer {} of {} was not opened ahead within {} s: opening it now", layer.layerDigest(),
                    layer.imageRef(), aheadPatience.toSeconds());
            return open(layer, layer.layerDigest());
        } catch (CancellationException e) {
            // Never queued: the pool's queue was full.
            return open(layer, layer.layerDigest());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted while opening a layer", e);
        } catch (ExecutionException | CompletionException e) {
            throw e.getCause() instanceof IOException io ? io : new IOException(e.getCause());
        }
    }

    /**
     * Whether a layer is one this provider would try to serve lazily, by its descriptor alone: a seekable media
     * type, with a TOC digest annotation unless {@code allowUnverifiedToc}.
     */
    public static boolean servesLazily(Descriptor layer, boolean allowUnverifiedToc) {
        return SEEKABLE_MEDIA_TYPES.contains(layer.mediaType())
                && (allowUnverifiedToc || LayerAnnotations.vouchForToc(layer.annotations()));
    }

    /** Resolves and opens a layer; empty when it is not a seekable layer this node may serve lazily. */
    private Optional<OpenedLayer> open(LayerLabels labels, String layerDigest) throws IOException {
        return open(resolver.resolve(labels, layerDigest), labels.imageRef(), EarlyTail.NONE);
    }

    private Optional<OpenedLayer> open(ResolvedLayer layer, String imageRef, EarlyTail tail) throws IOException {
        String layerDigest = layer.descriptor().digest();
        if (!servesLazily(layer.descriptor(), true)) {
            log.info("layer {} is {}, not a seekable layer: downloading it", layerDigest, layer.descriptor().mediaType());
            return Optional.empty();
        }
        if (!allowUnverifiedToc && !LayerAnnotations.vouchForToc(layer.descriptor().annotations())) {
            // Decided before fetching or parsing anything: an unverifiable TOC would be refused anyway.
            log.info("layer {} has no TOC digest annotation ({}), so it is not an eStargz layer this node may serve"
                    + " lazily: downloading it (for eStargz layers without one, allow_unverified_toc = true serves"
                    + " them lazily, unverified)", layerDigest, LayerLabels.TOC_DIGEST);
            return Optional.empty();
        }
        RecordedReads reads = RecordedReads.empty();
        BlobSource blob = tail.over(registry.blobSource(layer.repository(), layer.descriptor()),
                layer.descriptor().size());
        EstargzLayer estargz;
        try {
            estargz = EstargzLayer.open(reads.recording(blob), layer.descriptor().annotations());
            reads.seal();
        } catch (DigestMismatchException e) {
            log.warn("layer {} of {}: TOC does not match its digest annotation ({}); downloading it instead",
                    layerDigest, imageRef, e.getMessage());
            return Optional.empty();
        } catch (TocTooLargeException e) {
            log.warn("layer {} of {}: {}; downloading it instead", layerDigest, imageRef, e.getMessage());
            return Optional.empty();
        } catch (LayerFormatException e) {
            log.info("layer {} is not eStargz or zstd:chunked ({}): downloading it", layerDigest, e.getMessage());
            return Optional.empty();
        }
        if (!estargz.tocVerified() && !allowUnverifiedToc) {
            log.info("layer {}: no annotation verifies its {} TOC: downloading it", layerDigest, estargz.format());
            return Optional.empty();
        }
        if (wholePull.choose(layer.descriptor(), estargz.toc())) {
            log.info("layer {} of {}: its prefetch list is {} % of it, which the container reads before it starts:"
                    + " pulling it whole instead of lazily ([unpack] whole_pull_prefetch_share = {})", layerDigest,
                    imageRef, estargz.toc().prefetchRange().orElseThrow().length() * 100 / layer.descriptor().size(),
                    wholePull.share());
            return Optional.empty();
        }
        SnapshotReopener reopener = new SnapshotReopener(null);
        LayerMounter.Started started;
        // One layer at a time from admission until its TOC counts, or layers opened in parallel would all be
        // admitted into the same room.
        synchronized (admitting) {
            Optional<String> refusal = mounter.admission(estargz.toc().entries().size());
            if (refusal.isPresent()) {
                log.warn("layer {} of {}: {}; downloading it instead (to serve such layers lazily, raise the daemon's"
                        + " -Xmx and [fuse] toc_memory_bytes: docs/memory.md)", layerDigest, imageRef, refusal.get());
                return Optional.empty();
            }
            started = mounter.start(layerDigest, blob, estargz, reopener);
        }
        return Optional.of(new OpenedLayer(LayerState.of(layer).json(), estargz, reads, reopener, started));
    }
}
