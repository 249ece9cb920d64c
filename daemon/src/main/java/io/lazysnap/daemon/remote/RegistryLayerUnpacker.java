package io.lazysnap.daemon.remote;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import com.github.benmanes.caffeine.cache.Scheduler;
import io.lazysnap.registry.Descriptor;
import io.lazysnap.registry.Manifest;
import io.lazysnap.registry.Reference;
import io.lazysnap.registry.RegistryClient;
import io.lazysnap.daemon.root.TopDirectory;
import io.lazysnap.daemon.snapshot.FileTree;
import io.lazysnap.daemon.snapshot.LayerLabels;
import io.lazysnap.daemon.snapshot.LayerUnpacker;
import io.lazysnap.daemon.unpack.ChainIds;
import io.lazysnap.daemon.unpack.FetchPool;
import io.lazysnap.daemon.unpack.ImageConfig;
import io.lazysnap.daemon.unpack.LayerUnpack;
import io.lazysnap.daemon.unpack.ParallelBlobStream;
import io.lazysnap.daemon.unpack.TarUnpacker;
import java.io.IOException;
import java.io.InputStream;
import java.io.InterruptedIOException;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executor;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Predicate;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Downloads and unpacks the layers of an image that are not served lazily (plain gzip, zstd or tar layers, and
 * eStargz layers this node may not serve lazily), in place of containerd's serial download-then-unpack: when the
 * first of the image's layers is prepared (or, for {@code lazysnap rpull}, once the image is resolved and admitted),
 * all of them start, each fetched by concurrent range requests and unpacked while it arrives, its digest and diffID
 * checked; each layer's own Prepare then waits only for it.
 */
public final class RegistryLayerUnpacker implements LayerUnpacker {

    private static final Logger log = LoggerFactory.getLogger(RegistryLayerUnpacker.class);

    private final RegistryClient registry;
    private final LayerResolver resolver;
    private final Predicate<Descriptor> servedLazily;
    private final FetchPool pool;
    private final int chunkSize;
    private final int connectionsPerLayer;
    private final Path scratch;
    private final Executor unpackers;
    private final Cache<String, CompletableFuture<List<String>>> diffIds = Caffeine.newBuilder().maximumSize(64)
            .build();
    /**
     * Unpacks started ahead of their Prepare. An entry stays after its Prepare claimed it, so that the image's
     * later Prepares do not start it again; one never claimed is deleted when it expires.
     */
    private final Cache<ImageLayerKey, CompletableFuture<Unpacked>> ahead = Caffeine.newBuilder()
            .maximumSize(1024).expireAfterWrite(Duration.ofMinutes(10)).scheduler(Scheduler.systemScheduler())
            .<ImageLayerKey, CompletableFuture<Unpacked>>evictionListener((key, unpack, cause) -> {
                if (unpack != null) {
                    unpack.thenAccept(u -> {
                        if (u != null && u.claimed.compareAndSet(false, true)) {
                            u.discard();
                        }
                    });
                }
            })
            .build();

    /** Bytes read so far of the layers being downloaded and unpacked, for rpull's progress lines. */
    private final Map<ImageLayerKey, AtomicLong> downloads = new ConcurrentHashMap<>();

    /**
     * @param servedLazily layers the lazy provider serves: not unpacked ahead (their Prepare unpacks one the lazy
     *                     provider turned down after all)
     * @param chunkSize    bytes per range request
     * @param connectionsPerLayer range requests at once for one layer, out of the pool's
     * @param scratch      where layers are unpacked until their Prepare moves them into a snapshot; on the same
     *                     file system as the snapshots; emptied now (what a stopped daemon left)
     * @param unpackers    runs one layer's download and unpack per task
     */
    public RegistryLayerUnpacker(RegistryClient registry, Manifests manifests, Predicate<Descriptor> servedLazily,
                                 FetchPool pool, int chunkSize, int connectionsPerLayer, Path scratch,
                                 Executor unpackers)
            throws IOException {
        this.registry = registry;
        this.resolver = new LayerResolver(manifests);
        this.servedLazily = servedLazily;
        this.pool = pool;
        this.chunkSize = chunkSize;
        this.connectionsPerLayer = connectionsPerLayer;
        this.scratch = scratch;
        this.unpackers = unpackers;
        FileTree.delete(scratch);
        Files.createDirectories(scratch);
        TopDirectory.mark(scratch);
    }

    /** A layer unpacked under {@link #scratch}, owned by whoever claims it. */
    private static final class Unpacked implements UnpackedLayer {
        final Path dir;
        final TarUnpacker.Result result;
        final String chainId;
        final AtomicBoolean claimed = new AtomicBoolean();

        Unpacked(Path dir, TarUnpacker.Result result, String chainId) {
            this.dir = dir;
            this.result = result;
            this.chainId = chainId;
        }

        @Override
        public void moveTo(Path fs, List<Path> lowers) throws IOException {
            Path unpacked = dir.resolve("fs");
            TarUnpacker.inherit(unpacked, result.implicitDirs(), lowers);
            Files.move(unpacked, fs, StandardCopyOption.ATOMIC_MOVE);
        }

        @Override
        public void discard() {
            try {
                FileTree.delete(dir);
            } catch (IOException e) {
                log.warn("cannot delete unpacked layer {}: {}", dir, e.toString());
            }
        }
    }

    @Override
    public void ahead(LayerLabels layer) {
        if (layer.imageLayers().isEmpty()) {
            return;
        }
        Manifest manifest;
        Reference image;
        try {
            manifest = resolver.manifest(layer);
            image = Reference.parse(layer.imageRef());
        } catch (IOException | RuntimeException e) {
            log.debug("not unpacking the layers of {} ahead: {}", layer.imageRef(), e.toString());
            return;
        }
        for (String digest : layer.imageLayers()) {
            manifest.layers().stream().filter(d -> d.digest().equals(digest) && unpacksAhead(d)).findFirst()
                    .ifPresent(d -> ahead.get(ImageLayerKey.of(layer, digest), key -> start(image, manifest, d)));
        }
    }

    /**
     * Starts unpacking those of the {@code layers} of {@code manifest} it would unpack, for an image pulled through
     * this daemon whose signature the gate admits, before containerd prepares any of them: the first Prepare would
     * start them only after containerd's own calls.
     */
    public void ahead(Reference image, Manifest manifest, List<String> layers) {
        for (Descriptor layer : manifest.layers()) {
            if (layers.contains(layer.digest()) && unpacksAhead(layer)) {
                ahead.get(ImageLayerKey.of(image, manifest, layer.digest()), key -> start(image, manifest, layer));
            }
        }
    }

    @Override
    public Optional<UnpackedLayer> unpack(LayerLabels layer) throws IOException {
        ImageLayerKey key = ImageLayerKey.of(layer, layer.layerDigest());
        CompletableFuture<Unpacked> pending = ahead.getIfPresent(key);
        Unpacked unpacked;
        try {
            unpacked = pending != null ? await(pending) : null;
        } catch (IOException e) {
            ahead.asMap().remove(key, pending); // a later pull tries again
            throw e;
        }
        if (unpacked == null || !unpacked.claimed.compareAndSet(false, true)) {
            Manifest manifest = resolver.manifest(layer);
            Descriptor descriptor = resolver.layer(manifest, layer);
            Reference image = Reference.parse(layer.imageRef()); // resolving the manifest parsed it already
            if (LayerUnpack.Compression.of(descriptor.mediaType()).isEmpty()) {
                log.info("layer {} is {}, which lazysnap does not unpack: containerd downloads it",
                        layer.layerDigest(), descriptor.mediaType());
                return Optional.empty();
            }
            unpacked = await(start(image, manifest, descriptor));
            unpacked.claimed.set(true);
        }
        if (!unpacked.chainId.equals(layer.target())) {
            unpacked.discard();
            throw new IOException("the Prepare names snapshot " + layer.target() + " for layer " + layer.layerDigest()
                    + ", but image " + layer.imageRef() + "'s config makes it " + unpacked.chainId);
        }
        return Optional.of(unpacked);
    }

    /** Bytes of the layer read so far while it is downloaded and unpacked for that image; 0 otherwise. */
    public long downloaded(String imageRef, String manifestDigest, String layerDigest) {
        AtomicLong read = downloads.get(new ImageLayerKey(imageRef, manifestDigest, layerDigest));
        return read == null ? 0 : read.get();
    }

    private boolean unpacksAhead(Descriptor layer) {
        return LayerUnpack.Compression.of(layer.mediaType()).isPresent() && !servedLazily.test(layer);
    }

    private CompletableFuture<Unpacked> start(Reference image, Manifest manifest, Descriptor layer) {
        return CompletableFuture.supplyAsync(() -> {
            try {
                return unpack(image, manifest, layer);
            } catch (IOException e) {
                throw new CompletionException(e);
            }
        }, unpackers);
    }

    private Unpacked unpack(Reference image, Manifest manifest, Descriptor layer) throws IOException {
        long start = System.nanoTime();
        int index = manifest.layers().indexOf(layer);
        List<String> ids;
        LayerUnpack.Compression compression = LayerUnpack.Compression.of(layer.mediaType()).orElseThrow();
        Path dir = Files.createTempDirectory(scratch, "layer-");
        try {
            Path fs = Files.createDirectory(dir.resolve("fs"));
            Files.setAttribute(fs, "unix:mode", 0755);
            String what = "layer " + layer.digest() + " of " + image;
            TarUnpacker.Result result;
            long waited;
            ImageLayerKey key = ImageLayerKey.of(image, manifest, layer.digest());
            AtomicLong read = new AtomicLong();
            downloads.put(key, read);
            try (ParallelBlobStream blob = new ParallelBlobStream(what, layer.size(), layer.digest(),
                    blob(registry, image, layer), pool, chunkSize, connectionsPerLayer, dir.resolve("blob"),
                    read::addAndGet)) {
                ids = diffIds(image, manifest); // while the first chunks download
                result = LayerUnpack.unpack(blob, compression, ids.get(index), fs);
                waited = blob.waitedMillis();
            } catch (IOException e) {
                throw new IOException(what + ": " + e.getMessage(), e);
            } finally {
                downloads.remove(key, read);
            }
            log.debug("{} downloaded and unpacked in {} ms ({} of them waiting for the registry; {} entries)", what,
                    (System.nanoTime() - start) / 1_000_000, waited, result.entries());
            return new Unpacked(dir, result, ChainIds.of(ids).get(index));
        } catch (IOException | RuntimeException e) {
            FileTree.delete(dir);
            throw e;
        }
    }

    /** A layer blob as {@code registry} serves it. */
    static ParallelBlobStream.Blob blob(RegistryClient registry, Reference image, Descriptor layer) {
        return new ParallelBlobStream.Blob() {
            @Override
            public void range(long offset, int length, FileChannel spool) throws IOException {
                registry.range(image, layer, offset, length, spool);
            }

            @Override
            public boolean ignoresRanges() {
                return registry.ignoresRanges(image);
            }

            @Override
            public InputStream stream() throws IOException {
                return registry.stream(image, layer);
            }
        };
    }

    /**
     * The config's {@code rootfs.diff_ids}, one per layer of {@code manifest}. The layers that ask at once share one
     * fetch, which runs on the first asker's thread; a failed one is forgotten, so the next asker tries again.
     */
    private List<String> diffIds(Reference image, Manifest manifest) throws IOException {
        String config = manifest.config().digest();
        CompletableFuture<List<String>> mine = new CompletableFuture<>();
        CompletableFuture<List<String>> fetch = diffIds.asMap().putIfAbsent(config, mine);
        if (fetch == null) {
            fetch = mine;
            try {
                mine.complete(ImageConfig.diffIds(registry.blob(image, manifest.config())));
            } catch (IOException | RuntimeException e) {
                diffIds.asMap().remove(config, mine);
                mine.completeExceptionally(e);
            }
        }
        List<String> ids;
        try {
            ids = fetch.get();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new InterruptedIOException("interrupted while fetching image config " + config);
        } catch (ExecutionException e) {
            throw e.getCause() instanceof IOException io ? io : new IOException(e.getCause());
        }
        if (ids.size() != manifest.layers().size()) {
            throw new IOException("image config " + config + " lists " + ids.size() + " diff_ids for "
                    + manifest.layers().size() + " layers");
        }
        return ids;
    }

    private static Unpacked await(CompletableFuture<Unpacked> unpack) throws IOException {
        try {
            return unpack.get();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new InterruptedIOException("interrupted while the layer was being unpacked");
        } catch (ExecutionException e) {
            Throwable cause = e.getCause() instanceof CompletionException c ? c.getCause() : e.getCause();
            throw cause instanceof IOException io ? new IOException(io.getMessage(), io) : new IOException(cause);
        }
    }
}
