package io.lazysnap.server;

import io.lazysnap.server.grpc.SnapshotsService;
import io.lazysnap.server.grpc.SocketServer;
import io.lazysnap.server.snapshot.OverlaySnapshotter;
import io.lazysnap.server.snapshot.RemoteLayerProvider;
import io.lazysnap.server.snapshot.Snapshotter;
import java.io.IOException;
import java.nio.file.Path;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** The composition root: a snapshotter behind containerd's snapshots API on a unix socket. */
public final class Daemon implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(Daemon.class);

    private final Snapshotter snapshotter;
    private final SocketServer server;

    private Daemon(Snapshotter snapshotter, SocketServer server) {
        this.snapshotter = snapshotter;
        this.server = server;
    }

    /** Opens the snapshot store under the configured root and starts serving; returns once calls are accepted. */
    public static Daemon start(DaemonConfig config) throws IOException {
        return start(config, Optional.empty());
    }

    /**
     * Like {@link #start(DaemonConfig)}, serving layers through {@code remote} where it can; remote layers
     * committed before are mounted again before the socket accepts calls.
     */
    public static Daemon start(DaemonConfig config, Optional<RemoteLayerProvider> remote) throws IOException {
        Snapshotter snapshotter = OverlaySnapshotter.open(Path.of(config.root()), remote);
        try {
            SocketServer server = SocketServer.start(Path.of(config.address()), new SnapshotsService(snapshotter));
            log.info("lazysnap ready: root={} address={}", config.root(), config.address());
            return new Daemon(snapshotter, server);
        } catch (IOException | RuntimeException e) {
            snapshotter.close();
            throw e;
        }
    }

    /** Graceful stop: no new calls, running calls finish, then the store is closed. Idempotent. */
    @Override
    public void close() {
        server.close();
        snapshotter.close();
        log.info("lazysnap stopped");
    }
}
