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
import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
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
     * What the registry says about the image (resolved, its layers opened ahead, its config fetched and being
     * written) and how many of its layers, from the bottom, containerd holds already.
     */
    private record Fetched(ResolvedImage image, List<String> diffIds, List<String> chain, int present,
                           CompletableFuture<Boolean> configWritten) {
    }

    /** Pulls {@code reference} for {@code platform}; returns the containerd image name it was recorded under. */
    String pull(Reference reference, Platform platform) throws IOException, InterruptedException {
        try (Containerd containerd = Containerd.connect(socket, namespace)) {
            CompletableFuture<String> lease = new CompletableFuture<>();
            String leaseId = null;
            try (BlobWrites writes = new BlobWrites(lease.thenApply(id -> new ContentStore(containerd.inLease(id))))) {
                // The registry's answers and containerd's lease are independent round trips: wait for both at once.
                CompletableFuture<Fetched> fetching = PullThreads.start("pull-resolve", Context.current(),
                        () -> fetch(containerd, reference, platform, writes));
                // Should this fail, closing the writes ends those waiting for the lease.
                leaseId = createLease(containerd);
                lease.complete(leaseId);
                Fetched fetched = PullThreads.await(fetching);
                Manifest manifest = fetched.image().manifest();
                Containerd leased = containerd.inLease(leaseId);
                ContentStore content = new ContentStore(leased);
                unpackLayers(leased, content, reference, manifest, fetched.diffIds(), fetched.chain(),
                        fetched.present());
                writes.awaitAll();
                if (!PullThreads.await(fetched.configWritten())) {
                    // A config containerd had: named its top snapshot once the layers are there, as containerd does.
                    content.label(manifest.config().digest(), snapshotLabel(fetched.chain()));
                }
                Descriptor target = fetched.image().index().map(Index::descriptor).orElse(manifest.descriptor());
                String name = reference.toString();
                record(leased, name, target);
                return name;
            } finally {
                // After the writes' close: nothing writes under the lease once it is deleted.
                if (leaseId != null) {
                    deleteLease(containerd, leaseId);
                }
            }
        }
    }

    /** Where content came from, labelled as containerd's pull does (its pushes mount blobs across repositories). */
    private static Map<String, String> source(Reference reference) {
        return Map.of("containerd.io/distribution.source." + reference.registry(), reference.repository());
    }

    private Map<String, String> snapshotLabel(List<String> chain) {
        return Map.of(GcLabels.snapshotKey(snapshotter), chain.get(chain.size() - 1));
    }

    /**
     * Resolves the image, starts fetching its config, opening its layers and writing its index and manifest, then
     * starts writing the config too. A config written now names its top snapshot at once: until the snapshot exists
     * the reference leads nowhere, and the lease holds the config.
     */
    private Fetched fetch(Containerd containerd, Reference reference, Platform platform, BlobWrites writes)
            throws IOException, InterruptedException {
        ResolvedImage image = registry.resolve(reference, platform);
        Manifest manifest = image.manifest();
        // Asked for before the layers' TOCs, which would otherwise take the free connection and the registry's
        // attention first: every layer's Prepare waits for the chain IDs its diff IDs give.
        CompletableFuture<byte[]> configFetch = PullThreads.start("pull-config", Context.current(),
                () -> registry.blob(reference, manifest.config()));
        ahead.open(reference, manifest);
        Map<String, String> source = source(reference);
        Map<String, String> manifestLabels = merge(source, GcLabels.children(children(manifest)));
        writes.start("pull-store-manifest", manifest.descriptor(), manifest.bytes(), manifestLabels, manifestLabels);
        image.index().ifPresent(index -> {
            Map<String, String> indexLabels = merge(source, GcLabels.children(index.manifests()));
            writes.start("pull-store-index", index.descriptor(), index.bytes(), indexLabels, indexLabels);
        });
        progress.message("resolved " + reference + " to " + image.reference().digest().orElseThrow()
                + (image.index().isPresent() ? " (manifest " + manifest.descriptor().digest() + " for " + platform + ")"
                : ""));
        byte[] config = PullThreads.await(configFetch);
        List<String> diffIds = diffIds(config, manifest);
        List<String> chain = ChainIds.of(diffIds);
        CompletableFuture<Boolean> configWritten = writes.start("pull-store-config", manifest.config(), config,
                merge(source, snapshotLabel(chain)), source);
        List<Descriptor> layers = manifest.layers();
        // Fails here, before any layer line, when containerd does not know the snapshotter.
        int present = PresentLayers.count(layers.size(), i -> LayerUnpacker.exists(containerd, snapshotter,
                chain.get(i)));
        // The missing layers start downloading now, while the pull's own thread may still be creating the lease.
        ahead.unpack(reference, manifest, layers.subList(present, layers.size()).stream().map(Descriptor::digest)
                .toList());
        return new Fetched(image, diffIds, chain, present, configWritten);
    }

    private void unpackLayers(Containerd containerd, ContentStore content, Reference reference, Manifest manifest,
                              List<String> diffIds, List<String> chain, int present) throws IOException {
        LayerUnpacker unpacker = new LayerUnpacker(containerd, snapshotter, content, source(reference),
                (layer, counter) -> new BlobStream(registry.blobSource(reference, layer), layer.size(),
                        layer.digest(), counter));
        List<Descriptor> layers = manifest.layers();
        List<Task> tasks = layerTasks(progress, layers);
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

    /** A progress line for each layer, named by the start of its digest, as containerd's are. */
    static List<Task> layerTasks(Progress progress, List<Descriptor> layers) {
        List<Task> tasks = new ArrayList<>();
        for (Descriptor layer : layers) {
            tasks.add(progress.task(layer.digest().substring("sha256:".length(), 19), layer.size()));
        }
        return tasks;
    }

    /** containerd's record of the image {@code name}, pointing at {@code target} (its index or manifest). */
    static Image imageRecord(String name, Descriptor target) {
        return Image.newBuilder().setName(name)
                .setTarget(io.lazysnap.proto.types.Descriptor.newBuilder().setMediaType(target.mediaType())
                        .setDigest(target.digest()).setSize(target.size()))
                .build();
    }

    private void record(Containerd containerd, String name, Descriptor target) throws IOException {
        Image image = imageRecord(name, target);
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

    /** The config and layers: what a manifest's GC labels keep. */
    static List<Descriptor> children(Manifest manifest) {
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
