package io.lazysnap.proto;

import io.grpc.ManagedChannel;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.grpc.netty.shaded.io.netty.channel.EventLoopGroup;
import io.grpc.netty.shaded.io.netty.channel.epoll.EpollDomainSocketChannel;
import io.grpc.netty.shaded.io.netty.channel.epoll.EpollEventLoopGroup;
import io.grpc.netty.shaded.io.netty.channel.unix.DomainSocketAddress;
import io.grpc.netty.shaded.io.netty.util.concurrent.DefaultThreadFactory;
import java.nio.file.Path;

/** Client channels to gRPC servers on unix sockets: containerd, or lazysnap itself. */
public final class SocketChannels {

    /** Shared by all client channels; daemon threads, so an idle client never keeps the JVM alive. */
    private static final EventLoopGroup LOOP = new EpollEventLoopGroup(1, new DefaultThreadFactory("grpc-client", true));

    private SocketChannels() {
    }

    public static ManagedChannel open(Path socket) {
        return NettyChannelBuilder.forAddress(new DomainSocketAddress(socket.toString()))
                .channelType(EpollDomainSocketChannel.class)
                .eventLoopGroup(LOOP)
                .usePlaintext()
                .maxInboundMessageSize(64 << 20)
                .build();
    }
}
