package io.lazysnap.daemon.pull;

import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.lazysnap.proto.diff.v1.ApplyRequest;
import io.lazysnap.proto.diff.v1.ApplyResponse;
import io.lazysnap.proto.snapshots.v1.CommitSnapshotRequest;
import io.lazysnap.proto.snapshots.v1.Info;
import io.lazysnap.proto.snapshots.v1.PrepareSnapshotRequest;
import io.lazysnap.proto.snapshots.v1.RemoveSnapshotRequest;
import io.lazysnap.proto.snapshots.v1.StatSnapshotRequest;
import io.lazysnap.proto.types.Mount;
import io.lazysnap.registry.Descriptor;
import io.lazysnap.daemon.progress.Task;
import io.lazysnap.daemon.snapshot.LayerLabels;
import java.io.IOException;
import java.io.InputStream;
import java.security.SecureRandom;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.LongConsumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Unpacks one layer into a snapshot named by its chain ID, the way containerd's own unpacker does, so that a remote
 * snapshotter sees the same protocol: Prepare an {@code extract-…} key carrying the layer's labels; ALREADY_EXISTS
 * means the snapshotter committed the chain ID itself (served remotely); otherwise download the blob, apply it with
 * the diff service and commit.
 */
final class LayerUnpacker {

    /** What happened to a layer. */
    enum Outcome {
        /** The chain ID was already a committed snapshot. */
        PRESENT("present"),
        /** The snapshotter served the layer lazily; nothing was downloaded. */
        REMOTE("remote"),
        /** The snapshotter downloaded and unpacked the layer itself. */
        UNPACKED("unpacked"),
        /** Downloaded and applied here. */
        APPLIED("applied");

        final String word;

        Outcome(String word) {
            this.word = word;
        }
    }

    /** Opens a layer blob from the registry; {@code progress} is told how many bytes each read brought. */
    @FunctionalInterface
    interface BlobOpener {
        InputStream open(Descriptor layer, LongConsumer progress) throws IOException;
    }

    private static final Logger log = LoggerFactory.getLogger(LayerUnpacker.class);
    private static final int PREPARE_ATTEMPTS = 3;
    private static final SecureRandom RANDOM = new SecureRandom();

    private final Containerd containerd;
    private final String snapshotter;
    private final ContentStore content;
    private final Map<String, String> blobLabels;
    private final BlobOpener blobs;

    /** @param blobLabels what a layer blob written to the content store is committed with (where it came from) */
    LayerUnpacker(Containerd containerd, String snapshotter, ContentStore content, Map<String, String> blobLabels,
                  BlobOpener blobs) {
        this.containerd = containerd;
        this.snapshotter = snapshotter;
        this.content = content;
        this.blobLabels = blobLabels;
        this.blobs = blobs;
    }

    /** True if {@code name} is a snapshot of {@code snapshotter}; fails clearly when containerd does not know it. */
    static boolean exists(Containerd containerd, String snapshotter, String name) throws IOException {
        return stat(containerd, snapshotter, name).isPresent();
    }

    private static Optional<Info> stat(Containerd containerd, String snapshotter, String name) throws IOException {
        try {
            return Optional.of(containerd.snapshots().stat(StatSnapshotRequest.newBuilder().setSnapshotter(snapshotter)
                    .setKey(name).build()).getInfo());
        } catch (StatusRuntimeException e) {
            if (e.getStatus().getCode() == Status.Code.NOT_FOUND
                    && !String.valueOf(e.getStatus().getDescription()).contains("snapshotter not loaded")) {
                return Optional.empty();
            }
            throw ContainerdErrors.ofSnapshots("stat snapshot " + name, e, containerd.socket, snapshotter);
        }
    }

    /**
     * Unpacks a layer whose chain ID the caller has just found missing ({@link #exists}); one unpacked meanwhile by
     * another pull comes back as that pull left it.
     *
     * @param parent the chain ID below this layer, or the empty string for the first layer
     * @param labels the Prepare labels ({@link SnapshotLabels})
     */
    Outcome unpack(Descriptor layer, String diffId, String parent, String chainId, Map<String, String> labels,
                   Task task) throws IOException {
        task.status("preparing");
        String key = null;
        List<Mount> mounts = null;
        for (int attempt = 1; mounts == null; attempt++) {
            key = extractKey(chainId);
            try {
                mounts = containerd.snapshots().prepare(prepareRequest(snapshotter, key, parent, labels))
                        .getMountsList();
            } catch (StatusRuntimeException e) {
                if (e.getStatus().getCode() != Status.Code.ALREADY_EXISTS) {
                    throw snapshotError("prepare snapshot for layer " + layer.digest(), e);
                }
                Optional<Info> served = stat(containerd, snapshotter, chainId);
                if (served.isPresent()) {
                    return served.get().getLabelsMap().containsKey(LayerLabels.REMOTE) ? Outcome.REMOTE
                            : Outcome.UNPACKED;
                }
                // The key collided but the chain ID is not there (a concurrent unpack gave up): try a new key.
                if (attempt == PREPARE_ATTEMPTS) {
                    throw snapshotError("prepare snapshot for layer " + layer.digest(), e);
                }
            }
        }
        try {
            apply(layer, diffId, mounts, task);
            try {
                containerd.snapshots().commit(CommitSnapshotRequest.newBuilder().setSnapshotter(snapshotter)
                        .setName(chainId).setKey(key).putAllLabels(labels).build());
            } catch (StatusRuntimeException e) {
                if (e.getStatus().getCode() != Status.Code.ALREADY_EXISTS) {
                    throw snapshotError("commit snapshot " + chainId, e);
                }
                // Someone else committed the same layer meanwhile; theirs is as good as ours.
                remove(key);
            }
        } catch (IOException | RuntimeException e) {
            remove(key);
            throw e;
        }
        content.label(layer.digest(), Map.of(GcLabels.UNCOMPRESSED, diffId));
        return Outcome.APPLIED;
    }

    private void apply(Descriptor layer, String diffId, List<Mount> mounts, Task task) throws IOException {
        if (!content.exists(layer.digest())) {
            task.status("fetching", layer.size());
            try (InputStream in = blobs.open(layer, task::advance)) {
                content.write(layer, in, blobLabels);
            }
        }
        task.status("applying");
        ApplyResponse applied;
        try {
            applied = containerd.diff().apply(ApplyRequest.newBuilder()
                    .setDiff(io.lazysnap.proto.types.Descriptor.newBuilder().setMediaType(layer.mediaType())
                            .setDigest(layer.digest()).setSize(layer.size()).putAllAnnotations(layer.annotations()))
                    .addAllMounts(mounts).build());
        } catch (StatusRuntimeException e) {
            throw ContainerdErrors.of("applying layer " + layer.digest(), e, containerd.socket);
        }
        if (!applied.getApplied().getDigest().equals(diffId)) {
            throw new IOException("layer " + layer.digest() + " unpacked to " + applied.getApplied().getDigest()
                    + " but the image config says its diffID is " + diffId);
        }
    }

    private void remove(String key) {
        try {
            containerd.snapshots().remove(RemoveSnapshotRequest.newBuilder().setSnapshotter(snapshotter).setKey(key)
                    .build());
        } catch (StatusRuntimeException e) {
            log.warn("could not remove unfinished snapshot {}: {}", key, e.getStatus());
        }
    }

    private IOException snapshotError(String what, StatusRuntimeException e) {
        return ContainerdErrors.ofSnapshots(what, e, containerd.socket, snapshotter);
    }

    /** A key to unpack the layer of {@code chainId} under, like containerd's: {@code extract-<unique> <chainId>}. */
    static String extractKey(String chainId) {
        return "extract-" + uniquePart() + " " + chainId;
    }

    static PrepareSnapshotRequest prepareRequest(String snapshotter, String key, String parent,
                                                 Map<String, String> labels) {
        return PrepareSnapshotRequest.newBuilder().setSnapshotter(snapshotter).setKey(key).setParent(parent)
                .putAllLabels(labels).build();
    }

    /** Unique enough that two pulls of one layer never share a key. */
    private static String uniquePart() {
        byte[] random = new byte[3];
        RANDOM.nextBytes(random);
        return System.nanoTime() % 1_000_000_000L + "-" + Base64.getUrlEncoder().encodeToString(random);
    }
}
