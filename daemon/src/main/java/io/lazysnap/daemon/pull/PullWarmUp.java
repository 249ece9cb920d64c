package io.lazysnap.daemon.pull;

import com.google.protobuf.InvalidProtocolBufferException;
import io.lazysnap.daemon.progress.Progress;
import io.lazysnap.daemon.progress.Task;
import io.lazysnap.daemon.unpack.ChainIds;
import io.lazysnap.proto.content.v1.WriteAction;
import io.lazysnap.proto.content.v1.WriteContentRequest;
import io.lazysnap.proto.content.v1.WriteContentResponse;
import io.lazysnap.proto.images.v1.CreateImageRequest;
import io.lazysnap.proto.images.v1.CreateImageResponse;
import io.lazysnap.proto.images.v1.Image;
import io.lazysnap.proto.leases.v1.CreateRequest;
import io.lazysnap.proto.leases.v1.CreateResponse;
import io.lazysnap.proto.leases.v1.DeleteRequest;
import io.lazysnap.proto.leases.v1.Lease;
import io.lazysnap.proto.snapshots.v1.Info;
import io.lazysnap.proto.snapshots.v1.PrepareSnapshotRequest;
import io.lazysnap.proto.snapshots.v1.StatSnapshotRequest;
import io.lazysnap.proto.snapshots.v1.StatSnapshotResponse;
import io.lazysnap.registry.BlobDigest;
import io.lazysnap.registry.Descriptor;
import io.lazysnap.registry.Manifest;
import io.lazysnap.registry.MediaTypes;
import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Runs, once at start-up, the part of a pull that needs neither a registry nor containerd: a made-up two-layer
 * image's chain IDs, GC and Prepare labels, progress lines and layer keys, and the containerd messages a pull sends
 * and reads. All of it runs between the image's config and its first layer's Prepare, on the critical path of the
 * first pods' start-up, where it ran for the first time, interpreted, initialising its classes and binding its
 * lambdas on the way: in a fresh daemon's first pull (the bench's 1 Gbit/s image, debug logging on), the first
 * Prepare reached the snapshotter 17-44 ms after containerd answered the pull's Stat (median 26 ms of 6 pulls), and
 * 10-26 ms (median 14) with this run at start-up.
 */
final class PullWarmUp {

    private static final String REFERENCE = "warm-up.invalid/lazysnap/warm-up:latest";

    private PullWarmUp() {
    }

    static void run() {
        Containerd.loadDescriptors();
        List<Descriptor> layers = new ArrayList<>();
        List<String> diffIds = new ArrayList<>();
        for (int i = 0; i < 2; i++) {
            byte[] blob = {(byte) i};
            // Sizes of MiB, so that the progress lines print them as a pull's do.
            layers.add(Descriptor.of(MediaTypes.OCI_LAYER_GZIP, BlobDigest.sha256(blob), (i + 1L) << 20)
                    .withAnnotations(Map.of("containerd.io/snapshot/warm-up", "layer-" + i)));
            diffIds.add(BlobDigest.sha256(blob));
        }
        Descriptor config = Descriptor.of(MediaTypes.OCI_CONFIG, "{}".getBytes(StandardCharsets.UTF_8));
        Manifest manifest = Manifest.build(config, layers, Map.of());
        List<String> chain = ChainIds.of(diffIds);
        messages(manifest, GcLabels.children(layers));
        try (Progress progress = Progress.to(new PrintStream(OutputStream.nullOutputStream()), false)) {
            progress.message("resolved " + REFERENCE);
            List<Task> tasks = new ArrayList<>();
            for (Descriptor layer : layers) {
                tasks.add(progress.task(layer.digest().substring("sha256:".length(), 19), layer.size()));
            }
            long[] sizes = layers.stream().mapToLong(Descriptor::size).toArray();
            try (DownloadWatch watch = new DownloadWatch(tasks, sizes, i -> 0)) {
                for (int i = 0; i < layers.size(); i++) {
                    tasks.get(i).status("preparing");
                    Map<String, String> labels = SnapshotLabels.forLayer(REFERENCE, manifest.descriptor().digest(),
                            layers, i, chain.get(i));
                    PrepareSnapshotRequest.newBuilder().setSnapshotter("lazysnap")
                            .setKey("extract-" + LayerUnpacker.uniquePart() + " " + chain.get(i))
                            .setParent(i == 0 ? "" : chain.get(i - 1)).putAllLabels(labels).build().toByteArray();
                    watch.finished(i);
                    tasks.get(i).status(LayerUnpacker.Outcome.REMOTE.word);
                }
            }
        }
    }

    /** Writes the requests a pull sends and reads back the answers it gets, as the wire carries them. */
    private static void messages(Manifest manifest, Map<String, String> labels) {
        try {
            CreateResponse.parseFrom(CreateResponse.newBuilder()
                    .setLease(Lease.newBuilder().setId("warm-up").putAllLabels(labels)).build().toByteArray());
            CreateRequest.newBuilder().putAllLabels(labels).build().toByteArray();
            WriteContentRequest.newBuilder().setAction(WriteAction.COMMIT).setRef("warm-up")
                    .setTotal(manifest.bytes().length).setExpected(manifest.descriptor().digest())
                    .putAllLabels(labels).build().toByteArray();
            WriteContentResponse.parseFrom(WriteContentResponse.newBuilder()
                    .setDigest(manifest.descriptor().digest()).build().toByteArray());
            StatSnapshotRequest.newBuilder().setSnapshotter("lazysnap").setKey("warm-up").build().toByteArray();
            StatSnapshotResponse.parseFrom(StatSnapshotResponse.newBuilder()
                    .setInfo(Info.newBuilder().setName("warm-up").putAllLabels(labels)).build().toByteArray());
            Descriptor target = manifest.descriptor();
            CreateImageRequest.newBuilder().setImage(Image.newBuilder().setName(REFERENCE)
                    .setTarget(io.lazysnap.proto.types.Descriptor.newBuilder().setMediaType(target.mediaType())
                            .setDigest(target.digest()).setSize(target.size()))).build().toByteArray();
            CreateImageResponse.parseFrom(CreateImageResponse.getDefaultInstance().toByteArray());
            DeleteRequest.newBuilder().setId("warm-up").build().toByteArray();
        } catch (InvalidProtocolBufferException e) {
            throw new IllegalStateException("a message written here did not parse back", e);
        }
    }
}
