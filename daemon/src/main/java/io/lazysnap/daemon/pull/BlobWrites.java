package io.lazysnap.daemon.pull;

import io.grpc.Context;
import io.lazysnap.registry.Descriptor;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;

/**
 * The index, manifest and config one pull writes to containerd's content store, each started the moment it arrives
 * from the registry: containerd commits each to disk (a few metadata transactions and fsyncs), which takes longer
 * than the registry's next answer, and its metadata lock would hold up the layers' Prepare if the writes came later.
 * Writes wait for the pull's lease; once {@link #close closed}, no write starts, so the lease outlives them all.
 */
final class BlobWrites implements AutoCloseable {

    private final CompletableFuture<ContentStore> content;
    private final Context.CancellableContext calls = Context.current().withCancellation();
    private final List<CompletableFuture<Boolean>> started = new ArrayList<>();
    private boolean closed;

    /** @param content the store within the pull's lease, once the lease exists */
    BlobWrites(CompletableFuture<ContentStore> content) {
        this.content = content;
    }

    /**
     * Starts writing {@code blob} with {@code labels}; content containerd already has gets {@code labelsIfThere}
     * instead. The future says whether it was written (false: it was there).
     */
    synchronized CompletableFuture<Boolean> start(String name, Descriptor blob, byte[] bytes,
                                                  Map<String, String> labels, Map<String, String> labelsIfThere) {
        if (closed) {
            return CompletableFuture.failedFuture(new IOException("the pull ended before " + blob.digest()
                    + " was written"));
        }
        CompletableFuture<Boolean> write = PullThreads.start(name, calls, () -> {
            ContentStore store = PullThreads.await(content);
            if (store.write(blob, new ByteArrayInputStream(bytes), labels)) {
                return true;
            }
            store.label(blob.digest(), labelsIfThere);
            return false;
        });
        started.add(write);
        return write;
    }

    /** Waits for every write started; rethrows the first failure. */
    void awaitAll() throws IOException, InterruptedException {
        for (CompletableFuture<Boolean> write : stop()) {
            PullThreads.await(write);
        }
    }

    /**
     * Lets no more writes start, cancels those still running (the pull failed, or they are all done already) and
     * waits for them to end; failures are dropped.
     */
    @Override
    public void close() {
        List<CompletableFuture<Boolean>> writes = stop();
        content.completeExceptionally(new IOException("the pull ended before its lease was created"));
        calls.cancel(null);
        PullThreads.awaitAll(writes);
    }

    private synchronized List<CompletableFuture<Boolean>> stop() {
        closed = true;
        return List.copyOf(started);
    }
}
