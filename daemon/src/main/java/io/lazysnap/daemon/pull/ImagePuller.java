package io.lazysnap.daemon.pull;

import io.grpc.Context;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.lazysnap.proto.images.v1.CreateImageRequest;
import io.lazysnap.proto.images.v1.Image;
import io.lazysnap.proto.images.v1.UpdateImageRequest;
import io.lazysnap.proto.leases.v1.CreateRequest;
import io.lazysnap.proto.leases.v1.DeleteRequest;
import io.lazysnap.registry.BlobStream;
import io.lazysnap.registry.Descriptor;
import io.lazysnap.registry.Index;
import io.lazysnap.registry.Manifest;
import io.lazysnap.registry.Platform;
import io.lazysnap.registry.Reference;
import io.lazysnap.registry.RegistryClient;
import io.lazysnap.registry.ResolvedImage;
import io.lazysnap.daemon.progress.Progress;
import io.lazysnap.daemon.progress.Task;
import io.lazysnap.daemon.unpack.ChainIds;
import io.lazysnap.daemon.unpack.ImageConfig;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@code lazysnap rpull}, run by the daemon: pulls an image into containerd through its gRPC API with lazysnap as
 * the snapshotter, so that layers it can serve lazily are never downloaded. Everything written (content,
 * snapshots) is held by a lease until the image record and the GC labels that keep it alive exist.
 */
final class ImagePuller {

    private static final Logger log = LoggerFactory.getLogger(ImagePuller.class);
    private static final String LEASE_EXPIRE = "containerd.io/gc.expire";
    /** Bounds what a crashed pull leaves to the garbage collector's mercy, like containerd's own clients. */
    private static final Duration LEASE_TTL = Duration.ofHours(24);

    private final RegistryClient registry;
    private final Path socket;
    private final String namespace;
    private final String snapshotter;
    private final Progress progress;
    private final LayersAhead ahead;
    private final LayerDownloads downloads;

    ImagePuller(RegistryClient registry, Path socket, String namespace, String snapshotter, Progress progress,
                LayersAhead ahead, LayerDownloads downloads) {
        this.registry = registry;
        this.socket = socket;
        this.namespace = namespace;
        this.snapshotter = snapshotter;
        this.progress = progress;
        this.ahead = ahead;
        this.downloads = downloads;
    }

    /**
     * What the registry says about the image (resolved, its layers opened ahead, its config fetched) and how many of
     * its layers, from the bottom, containerd holds already.
     */
    private record Fetched(ResolvedImage image, byte[] config, List<String> diffIds, List<String> chain, int present) {
    }

    /** Pulls {@code reference} for {@code platform}; returns the containerd image name it was recorded under. */
    String pull(Reference reference, Platform platform) throws IOException, InterruptedException {
        try (Containerd containerd = Containerd.connect(socket, namespace)) {
            // The registry's answers and containerd's lease are independent round trips: wait for both at once.
            CompletableFuture<Fetched> fetching = inThread("pull-resolve", Context.current(),
                    () -> fetch(containerd, reference, platform));
            String lease = createLease(containerd);
            try {
                Fetched fetched = await(fetching);
                Manifest manifest = fetched.image().manifest();
                Containerd leased = containerd.inLease(lease);
                ContentStore content = new ContentStore(leased);
                // containerd commits each blob to disk: the config and manifests go in while the layers unpack.
                Context.CancellableContext storing = Context.current().withCancellation();
                List<CompletableFuture<Boolean>> stored = storeMetadata(content, reference, fetched, storing);
                try {
                    unpackLayers(leased, content, reference, manifest, fetched.diffIds(), fetched.chain(),
                            fetched.present());
                } finally {
                    awaitAll(stored, storing);
                    storing.close();
                }
                boolean configWritten = await(stored.get(0));
                for (CompletableFuture<Boolean> s : stored.subList(1, stored.size())) {
                    await(s);
                }
                if (!configWritten) {
                    // A config containerd had: named its top snapshot once the layers are there, as containerd does.
                    content.label(manifest.config().digest(), snapshotLabel(fetched));
                }
                Descriptor target = fetched.image().index().map(Index::descriptor).orElse(manifest.descriptor());
                String name = reference.toString();
                record(leased, name, target);
                return name;
            } finally {
                deleteLease(containerd, lease);
            }
        }
    }

    /**
     * Starts writing the image's config (first), manifest and index (if any) into containerd's content store, each
     * with its GC labels, side by side, making their containerd calls in {@code calls}; each completes with whether
     * it wrote its blob (rather than labelled one containerd had). A config written now names its top snapshot at
     * once: until the snapshot exists the reference leads nowhere, and the lease holds the config.
     */
    private List<CompletableFuture<Boolean>> storeMetadata(ContentStore content, Reference reference,
                                                           Fetched fetched, Context calls) {
        Manifest manifest = fetched.image().manifest();
        Map<String, String> source = source(reference);
        List<CompletableFuture<Boolean>> stores = new ArrayList<>();
        stores.add(inThread("pull-store-config", calls, () -> store(content, manifest.config(), fetched.config(),
                merge(source, snapshotLabel(fetched)), source)));
        Map<String, String> manifestLabels = merge(source, GcLabels.children(children(manifest)));
        stores.add(inThread("pull-store-manifest", calls, () -> store(content, manifest.descriptor(),
                manifest.bytes(), manifestLabels, manifestLabels)));
        fetched.image().index().ifPresent(index -> {
            Map<String, String> indexLabels = merge(source, GcLabels.children(index.manifests()));
            stores.add(inThread("pull-store-index", calls, () -> store(content, index.descriptor(), index.bytes(),
                    indexLabels, indexLabels)));
        });
        return stores;
    }

    /** Where content came from, labelled as containerd's pull does (its pushes mount blobs across repositories). */
    private static Map<String, String> source(Reference reference) {
        return Map.of("containerd.io/distribution.source." + reference.registry(), reference.repository());
    }

    private Map<String, String> snapshotLabel(Fetched fetched) {
        return Map.of(GcLabels.snapshotKey(snapshotter), fetched.chain().get(fetched.chain().size() - 1));
    }

    private interface IoCall<T> {
        T call() throws IOException;
    }

    /**
     * Runs {@code call} on a thread of its own, its gRPC calls in {@code calls} (a pull's few side tasks; each lasts
     * a round trip or two).
     */
    private static <T> CompletableFuture<T> inThread(String name, Context calls, IoCall<T> call) {
        CompletableFuture<T> result = new CompletableFuture<>();
        Thread thread = new Thread(calls.wrap(() -> {
            try {
                result.complete(call.call());
            } catch (Throwable e) {
                result.completeExceptionally(e); // an Error too: whoever waits must not wait forever
            }
        }), name);
        thread.setDaemon(true);
        thread.start();
        return result;
    }

    /**
     * Waits for every task whatever its outcome, so that nothing writes under the lease once it is deleted. An
     * interrupt (the client went away) cancels their containerd calls, which then end at once, and is kept.
     */
    private static void awaitAll(List<? extends CompletableFuture<?>> tasks, Context.CancellableContext calls) {
        boolean interrupted = false;
        for (CompletableFuture<?> task : tasks) {
            while (true) {
                try {
                    task.get();
                    break;
                } catch (ExecutionException e) {
                    break; // reported by whoever awaits its result
                } catch (InterruptedException e) {
                    interrupted = true;
                    calls.cancel(e);
                }
            }
        }
        if (interrupted) {
            Thread.currentThread().interrupt();
        }
    }

    private Fetched fetch(Containerd containerd, Reference reference, Platform platform) throws IOException {
        ResolvedImage image = registry.resolve(reference, platform);
        Manifest manifest = image.manifest();
        ahead.open(reference, manifest);
        progress.message("resolved " + reference + " to " + image.reference().digest().orElseThrow()
                + (image.index().isPresent() ? " (manifest " + manifest.descriptor().digest() + " for " + platform + ")"
                : ""));
        byte[] config = registry.blob(reference, manifest.config());
        List<String> diffIds = diffIds(config, manifest);
        List<String> chain = ChainIds.of(diffIds);
        List<Descriptor> layers = manifest.layers();
        // Fails here, before any layer line, when containerd does not know the snapshotter.
        int present = PresentLayers.count(layers.size(), i -> LayerUnpacker.exists(containerd, snapshotter,
                chain.get(i)));
        // The missing layers start downloading now, while the pull's own thread may still be creating the lease.
        ahead.unpack(reference, manifest, layers.subList(present, layers.size()).stream().map(Descriptor::digest)
                .toList());
        return new Fetched(image, config, diffIds, chain, present);
    }

    private static <T> T await(CompletableFuture<T> task) throws IOException, InterruptedException {
        try {
            return task.get();
        } catch (ExecutionException e) {
            if (e.getCause() instanceof IOException io) {
                throw io;
            }
            if (e.getCause() instanceof RuntimeException r) {
                throw r;
            }
            if (e.getCause() instanceof Error err) {
                throw err;
            }
            throw new IOException(e.getCause());
        }
    }

    private void unpackLayers(Containerd containerd, ContentStore content, Reference reference, Manifest manifest,
                              List<String> diffIds, List<String> chain, int present) throws IOException {
        LayerUnpacker unpacker = new LayerUnpacker(containerd, snapshotter, content, source(reference),
                (layer, counter) -> new BlobStream(registry.blobSource(reference, layer), layer.size(),
                        layer.digest(), counter));
        List<Descriptor> layers = manifest.layers();
        List<Task> tasks = new ArrayList<>();
        for (Descriptor layer : layers) {
            tasks.add(progress.task(layer.digest().substring("sha256:".length(), 19), layer.size()));
        }
        String image = reference.toString();
        String manifestDigest = manifest.descriptor().digest();
        try (DownloadWatch watch = new DownloadWatch(tasks, layers.stream().mapToLong(Descriptor::size).toArray(),
                i -> downloads.downloaded(image, manifestDigest, layers.get(i).digest()))) {
            for (int i = 0; i < layers.size(); i++) {
                Map<String, String> labels = SnapshotLabels.forLayer(image, manifestDigest, layers, i, chain.get(i));
                Task task = tasks.get(i);
                try {
                    LayerUnpacker.Outcome outcome = i < present ? LayerUnpacker.Outcome.PRESENT
                            : unpacker.unpack(layers.get(i), diffIds.get(i), i == 0 ? "" : chain.get(i - 1),
                                    chain.get(i), labels, task);
                    watch.finished(i);
                    task.status(outcome.word);
                    log.debug("layer {} ({}): {}", layers.get(i).digest(), chain.get(i), outcome);
                } catch (IOException | RuntimeException e) {
                    watch.finished(i);
                    task.status("failed");
                    throw e;
                }
            }
        }
    }

    private void record(Containerd containerd, String name, Descriptor target) throws IOException {
        Image image = Image.newBuilder().setName(name)
                .setTarget(io.lazysnap.proto.types.Descriptor.newBuilder().setMediaType(target.mediaType())
                        .setDigest(target.digest()).setSize(target.size()))
                .build();
        try {
            containerd.images().create(CreateImageRequest.newBuilder().setImage(image).build());
        } catch (StatusRuntimeException e) {
            if (e.getStatus().getCode() != Status.Code.ALREADY_EXISTS) {
                throw ContainerdErrors.of("creating image " + name, e, containerd.socket);
            }
            try {
                // No field mask: the record is replaced as a whole, as containerd's pull does.
                containerd.images().update(UpdateImageRequest.newBuilder().setImage(image).build());
            } catch (StatusRuntimeException u) {
                throw ContainerdErrors.of("updating image " + name, u, containerd.socket);
            }
        }
    }

    /**
     * Writes a blob with {@code labels}, or, if containerd has it already, adds {@code labelsIfThere} to it; whether
     * it wrote it.
     */
    private static boolean store(ContentStore content, Descriptor blob, byte[] bytes, Map<String, String> labels,
                                 Map<String, String> labelsIfThere) throws IOException {
        if (content.write(blob, new ByteArrayInputStream(bytes), labels)) {
            return true;
        }
        content.label(blob.digest(), labelsIfThere);
        return false;
    }

    private static String createLease(Containerd containerd) throws IOException {
        try {
            return containerd.leases().create(CreateRequest.newBuilder()
                    .putLabels(LEASE_EXPIRE, Instant.now().plus(LEASE_TTL).toString()).build()).getLease().getId();
        } catch (StatusRuntimeException e) {
            throw ContainerdErrors.of("creating a lease", e, containerd.socket);
        }
    }

    private static void deleteLease(Containerd containerd, String lease) {
        try {
            containerd.leases().delete(DeleteRequest.newBuilder().setId(lease).build());
        } catch (StatusRuntimeException e) {
            log.warn("could not delete lease {} (it expires by itself): {}", lease, e.getStatus());
        }
    }

    private static List<Descriptor> children(Manifest manifest) {
        List<Descriptor> children = new ArrayList<>();
        children.add(manifest.config());
        children.addAll(manifest.layers());
        return children;
    }

    private static Map<String, String> merge(Map<String, String> a, Map<String, String> b) {
        Map<String, String> merged = new HashMap<>(a);
        merged.putAll(b);
        return merged;
    }

    /** The config's {@code rootfs.diff_ids}, one per layer. */
    static List<String> diffIds(byte[] config, Manifest manifest) throws IOException {
        List<String> diffIds = ImageConfig.diffIds(config);
        if (diffIds.size() != manifest.layers().size()) {
            throw new IOException("image config " + manifest.config().digest() + " lists " + diffIds.size()
                    + " diff_ids for " + manifest.layers().size() + " layers");
        }
        if (diffIds.isEmpty()) {
            throw new IOException("image " + manifest.descriptor().digest() + " has no layers to unpack");
        }
        return diffIds;
    }
}
