package io.lazysnap.daemon.pull;

import io.grpc.Channel;
import io.grpc.ClientInterceptors;
import io.grpc.ManagedChannel;
import io.grpc.Metadata;
import io.grpc.stub.MetadataUtils;
import io.lazysnap.proto.content.v1.ContentGrpc;
import io.lazysnap.proto.content.v1.ContentOuterClass;
import io.lazysnap.proto.diff.v1.DiffGrpc;
import io.lazysnap.proto.diff.v1.DiffOuterClass;
import io.lazysnap.proto.images.v1.ImagesGrpc;
import io.lazysnap.proto.images.v1.ImagesOuterClass;
import io.lazysnap.proto.leases.v1.LeasesGrpc;
import io.lazysnap.proto.leases.v1.LeasesOuterClass;
import io.lazysnap.proto.snapshots.v1.SnapshotsGrpc;
import io.lazysnap.proto.snapshots.v1.SnapshotsOuterClass;
import io.lazysnap.proto.SocketChannels;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.TimeUnit;

/**
 * containerd's gRPC API on its unix socket, in one namespace and optionally inside one lease. containerd takes both
 * from request metadata rather than from fields, so they are attached to every call here.
 */
final class Containerd implements AutoCloseable {

    private static final Metadata.Key<String> NAMESPACE =
            Metadata.Key.of("containerd-namespace", Metadata.ASCII_STRING_MARSHALLER);
    private static final Metadata.Key<String> LEASE =
            Metadata.Key.of("containerd-lease", Metadata.ASCII_STRING_MARSHALLER);

    final Path socket;
    private final ManagedChannel channel;
    private final Channel calls;

    private Containerd(Path socket, ManagedChannel channel, Channel calls) {
        this.socket = socket;
        this.channel = channel;
        this.calls = calls;
    }

    /**
     * Builds the descriptors of the containerd APIs a pull speaks. Protobuf builds a file's descriptors when a message
     * with a map (labels) is first made, which would be on the first pull's path, in the interpreter: a few tens of
     * milliseconds of a core while that pull's containers wait.
     */
    static void loadDescriptors() {
        LeasesOuterClass.getDescriptor();
        ContentOuterClass.getDescriptor();
        ImagesOuterClass.getDescriptor();
        SnapshotsOuterClass.getDescriptor();
        DiffOuterClass.getDescriptor();
    }

    /** @throws IOException naming the socket when there is none */
    static Containerd connect(Path socket, String namespace) throws IOException {
        if (!Files.exists(socket)) {
            throw new IOException("containerd socket " + socket + " does not exist: is containerd running?"
                    + " (point --address at its grpc address)");
        }
        Metadata headers = new Metadata();
        headers.put(NAMESPACE, namespace);
        ManagedChannel channel = SocketChannels.open(socket);
        return new Containerd(socket, channel,
                ClientInterceptors.intercept(channel, new CallLog(),
                        MetadataUtils.newAttachHeadersInterceptor(headers)));
    }

    /** The same connection, with every call made inside {@code leaseId}. Closing the view does nothing. */
    Containerd inLease(String leaseId) {
        Metadata headers = new Metadata();
        headers.put(LEASE, leaseId);
        return new Containerd(socket, null,
                ClientInterceptors.intercept(calls, MetadataUtils.newAttachHeadersInterceptor(headers)));
    }

    SnapshotsGrpc.SnapshotsBlockingStub snapshots() {
        return SnapshotsGrpc.newBlockingStub(calls);
    }

    ContentGrpc.ContentBlockingStub content() {
        return ContentGrpc.newBlockingStub(calls);
    }

    ContentGrpc.ContentBlockingV2Stub contentStreams() {
        return ContentGrpc.newBlockingV2Stub(calls);
    }

    ImagesGrpc.ImagesBlockingStub images() {
        return ImagesGrpc.newBlockingStub(calls);
    }

    LeasesGrpc.LeasesBlockingStub leases() {
        return LeasesGrpc.newBlockingStub(calls);
    }

    DiffGrpc.DiffBlockingStub diff() {
        return DiffGrpc.newBlockingStub(calls);
    }

    @Override
    public void close() throws InterruptedException {
        if (channel != null) {
            channel.shutdown().awaitTermination(Duration.ofSeconds(5).toMillis(), TimeUnit.MILLISECONDS);
        }
    }
}
