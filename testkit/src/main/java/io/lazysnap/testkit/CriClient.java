package io.lazysnap.testkit;

import io.grpc.ManagedChannel;
import io.lazysnap.proto.SocketChannels;
import io.lazysnap.proto.cri.v1.ImageServiceGrpc;
import io.lazysnap.proto.cri.v1.ImageSpec;
import io.lazysnap.proto.cri.v1.PullImageRequest;
import io.lazysnap.proto.cri.v1.RuntimeServiceGrpc;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.TimeUnit;

/** What a kubelet does over containerd's CRI socket: pull images and run one-container, host-network pods. */
public final class CriClient implements AutoCloseable {

    private final ManagedChannel channel;
    final RuntimeServiceGrpc.RuntimeServiceBlockingStub runtime;
    private final ImageServiceGrpc.ImageServiceBlockingStub images;

    public CriClient(Path containerdSocket) {
        channel = SocketChannels.open(containerdSocket);
        runtime = RuntimeServiceGrpc.newBlockingStub(channel);
        images = ImageServiceGrpc.newBlockingStub(channel);
    }

    /** Pulls {@code image} as the kubelet does; returns the image's reference in containerd. */
    public String pull(String image, Duration timeout) {
        return images.withDeadlineAfter(timeout.toMillis(), TimeUnit.MILLISECONDS).pullImage(PullImageRequest
                .newBuilder().setImage(ImageSpec.newBuilder().setImage(image)).build()).getImageRef();
    }

    public String pull(String image) {
        return pull(image, Duration.ofMinutes(5));
    }

    /** Runs a ready pod sandbox (its pause image pulled) whose containers log under {@code logDir}. */
    public CriPod openPod(String namespace, String name, Path logDir) throws IOException {
        return new CriPod(this, namespace, name, logDir);
    }

    /** Runs {@code command} of {@code image} in a new pod and returns its stdout once it exits 0. */
    public String runPod(String image, Path logDir, List<String> command) throws Exception {
        String uid = UUID.randomUUID().toString();
        try (CriPod pod = openPod("systest", "pod-" + uid.substring(0, 8), logDir)) {
            pull(image);
            var status = pod.awaitExit(pod.start(image, command), Duration.ofMinutes(2));
            String stdout = pod.stdout();
            if (status.getExitCode() != 0) {
                throw new IOException("container exited " + status.getExitCode() + " (" + status.getReason() + " "
                        + status.getMessage() + "); output:\n" + stdout);
            }
            return stdout;
        }
    }

    @Override
    public void close() {
        channel.shutdownNow();
    }
}
