package io.lazysnap.daemon.pull;

import com.google.protobuf.Message;
import io.grpc.MethodDescriptor;
import io.grpc.protobuf.ProtoUtils;
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
 * Runs, once at start-up, the part of a pull that needs neither a registry nor containerd, on a made-up two-layer
 * image: chain IDs, GC and Prepare labels, progress lines (plain and drawn for a terminal) with a download watch,
 * layer keys, and the containerd messages a pull writes and reads, through gRPC's own marshallers. Most of it runs
 * between the image's config and its first layer's Prepare, on the critical path of the first pods' start-up, where
 * a fresh daemon ran it for the first time, interpreted, initialising its classes on the way: in 18 of the bench's
 * 1 Gbit/s pulls each (debug logging on), the first Prepare reached the snapshotter a median 24 ms after containerd
 * answered the pull's Stat without this run at start-up, and 16 ms with it.
 */
final class PullWarmUp {

    private static final String REFERENCE = "warm-up.invalid/lazysnap/warm-up:latest";
    private static final String SNAPSHOTTER = "lazysnap";

    private PullWarmUp() {
    }

    static void run() {
        Containerd.loadDescriptors(); // the diff API's too, which a layer containerd unpacks uses
        List<Descriptor> layers = new ArrayList<>();
        List<String> diffIds = new ArrayList<>();
        for (int i = 0; i < 2; i++) {
            String digest = BlobDigest.sha256(new byte[] {(byte) i});
            // Sizes of MiB, so that the progress lines print them as a pull's do.
            layers.add(Descriptor.of(MediaTypes.OCI_LAYER_GZIP, digest, (i + 1L) << 20)
                    .withAnnotations(Map.of("containerd.io/snapshot/warm-up", "layer-" + i)));
            diffIds.add(digest);
        }
        Manifest manifest = Manifest.build(Descriptor.of(MediaTypes.OCI_CONFIG, "{}".getBytes(StandardCharsets.UTF_8)),
                layers, Map.of());
        List<String> chain = ChainIds.of(diffIds);
        messages(manifest, GcLabels.children(ImagePuller.children(manifest)));
        for (boolean terminal : new boolean[] {false, true}) {
            try (Progress progress = Progress.to(new PrintStream(OutputStream.nullOutputStream()), terminal)) {
                progress.message("resolved " + REFERENCE);
                prepareLayers(progress, manifest, chain);
            }
        }
    }

    private static void prepareLayers(Progress progress, Manifest manifest, List<String> chain) {
        List<Descriptor> layers = manifest.layers();
        List<Task> tasks = ImagePuller.layerTasks(progress, layers);
        try (DownloadWatch watch = new DownloadWatch(tasks, layers.stream().mapToLong(Descriptor::size).toArray(),
                i -> 0)) {
            for (int i = 0; i < layers.size(); i++) {
                tasks.get(i).status("preparing");
                Map<String, String> labels = SnapshotLabels.forLayer(REFERENCE, manifest.descriptor().digest(),
                        layers, i, chain.get(i));
                roundTrip(LayerUnpacker.prepareRequest(SNAPSHOTTER, LayerUnpacker.extractKey(chain.get(i)),
                        i == 0 ? "" : chain.get(i - 1), labels));
                watch.finished(i);
                tasks.get(i).status(LayerUnpacker.Outcome.REMOTE.word);
            }
        }
    }

    /** The requests a pull sends and the answers it reads, each written and parsed back. */
    private static void messages(Manifest manifest, Map<String, String> labels) {
        String digest = manifest.descriptor().digest();
        roundTrip(CreateRequest.newBuilder().putAllLabels(labels).build());
        roundTrip(CreateResponse.newBuilder().setLease(Lease.newBuilder().setId("warm-up").putAllLabels(labels))
                .build());
        roundTrip(WriteContentRequest.newBuilder().setAction(WriteAction.COMMIT).setRef("warm-up")
                .setTotal(manifest.bytes().length).setExpected(digest).putAllLabels(labels).build());
        roundTrip(WriteContentResponse.newBuilder().setDigest(digest).setOffset(manifest.bytes().length).build());
        roundTrip(StatSnapshotRequest.newBuilder().setSnapshotter(SNAPSHOTTER).setKey("warm-up").build());
        roundTrip(StatSnapshotResponse.newBuilder().setInfo(Info.newBuilder().setName("warm-up")
                .putAllLabels(labels)).build());
        Image image = ImagePuller.imageRecord(REFERENCE, manifest.descriptor());
        roundTrip(CreateImageRequest.newBuilder().setImage(image).build());
        roundTrip(CreateImageResponse.newBuilder().setImage(image).build());
        roundTrip(DeleteRequest.newBuilder().setId("warm-up").build());
    }

    @SuppressWarnings("unchecked")
    private static <T extends Message> void roundTrip(T message) {
        MethodDescriptor.Marshaller<T> marshaller = ProtoUtils.marshaller((T) message.getDefaultInstanceForType());
        if (!marshaller.parse(marshaller.stream(message)).equals(message)) {
            throw new IllegalStateException(message.getDescriptorForType().getFullName()
                    + " did not parse back as it was written");
        }
    }
}
