package io.lazysnap.daemon.service;

import io.grpc.BindableService;
import io.grpc.Server;
import io.grpc.netty.shaded.io.grpc.netty.NettyServerBuilder;
import io.grpc.netty.shaded.io.netty.channel.EventLoopGroup;
import io.grpc.netty.shaded.io.netty.channel.epoll.EpollEventLoopGroup;
import io.grpc.netty.shaded.io.netty.channel.epoll.EpollServerDomainSocketChannel;
import io.grpc.netty.shaded.io.netty.channel.unix.DomainSocketAddress;
import io.grpc.netty.shaded.io.netty.util.concurrent.DefaultThreadFactory;
import io.lazysnap.daemon.socket.SocketFiles;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A gRPC server on a unix domain socket, the transport of containerd's proxy plugins; the socket file is made as
 * {@link SocketFiles} says.
 */
public final class SocketServer implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(SocketServer.class);

    private final Server server;
    private final Path path;
    private final EventLoopGroup boss;
    private final EventLoopGroup workers;

    private SocketServer(Server server, Path path, EventLoopGroup boss, EventLoopGroup workers) {
        this.server = server;
        this.path = path;
        this.boss = boss;
        this.workers = workers;
    }

    /** Starts serving on {@code path}. */
    public static SocketServer start(Path path, BindableService... services) throws IOException {
        SocketFiles.claim(path);
        EventLoopGroup boss = new EpollEventLoopGroup(1, new DefaultThreadFactory("grpc-accept", true));
        EventLoopGroup workers = new EpollEventLoopGroup(0, new DefaultThreadFactory("grpc-io", true));
        NettyServerBuilder builder = NettyServerBuilder.forAddress(new DomainSocketAddress(path.toString()))
                .channelType(EpollServerDomainSocketChannel.class)
                .bossEventLoopGroup(boss)
                .workerEventLoopGroup(workers)
                .maxInboundMessageSize(16 << 20);
        for (BindableService service : services) {
            builder.addService(service);
        }
        Server server;
        try {
            server = builder.build().start();
        } catch (IOException e) {
            boss.shutdownGracefully();
            workers.shutdownGracefully();
            throw new IOException("cannot listen on " + path + ": " + e.getMessage(), e);
        }
        SocketFiles.restrict(path);
        log.info("serving on {}", path);
        return new SocketServer(server, path, boss, workers);
    }

    /** Stops accepting calls, lets running calls finish for a few seconds, then releases the socket. */
    @Override
    public void close() {
        server.shutdown();
        try {
            if (!server.awaitTermination(5, TimeUnit.SECONDS)) {
                server.shutdownNow().awaitTermination(2, TimeUnit.SECONDS);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            server.shutdownNow();
        }
        boss.shutdownGracefully(0, 1, TimeUnit.SECONDS);
        workers.shutdownGracefully(0, 1, TimeUnit.SECONDS);
        try {
            Files.deleteIfExists(path);
        } catch (IOException e) {
            log.warn("could not remove socket {}: {}", path, e.toString());
        }
    }
}
