package io.lazysnap.daemon.unpack;

import java.io.Closeable;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;

/**
 * The one bound on whole-layer downloads: at most {@code connections} range requests run at once, over all layers
 * and images; further chunks queue in order. A chunk's bytes go to its layer's spool file, not to memory.
 */
public final class FetchPool implements Closeable {

    final ExecutorService requests;

    public FetchPool(int connections) {
        if (connections < 1) {
            throw new IllegalArgumentException("connections must be at least 1, not " + connections);
        }
        ThreadPoolExecutor executor = new ThreadPoolExecutor(connections, connections, 30, TimeUnit.SECONDS,
                new LinkedBlockingQueue<>(), r -> {
                    Thread t = new Thread(r, "layer-download");
                    t.setDaemon(true);
                    return t;
                });
        executor.allowCoreThreadTimeOut(true);
        this.requests = executor;
    }

    @Override
    public void close() {
        requests.shutdownNow();
    }
}
