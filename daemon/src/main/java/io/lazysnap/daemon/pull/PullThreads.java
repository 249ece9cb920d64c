package io.lazysnap.daemon.pull;

import io.grpc.Context;
import java.io.IOException;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;

/** The side threads of one pull: started with the pull's gRPC context, awaited with their failures rethrown. */
final class PullThreads {

    private PullThreads() {
    }

    interface IoCall<T> {
        T call() throws IOException, InterruptedException;
    }

    /**
     * Runs {@code call} on a thread of its own, its containerd calls under {@code calls} (cancelling it cancels
     * them). A pull runs a handful of these, each blocked on a round trip most of its life: no pool to size.
     */
    static <T> CompletableFuture<T> start(String name, Context calls, IoCall<T> call) {
        CompletableFuture<T> result = new CompletableFuture<>();
        Thread thread = new Thread(calls.wrap(() -> {
            try {
                result.complete(call.call());
            } catch (Throwable e) {
                result.completeExceptionally(e); // an Error too: whoever waits must not wait forever
            }
        }), name);
        thread.setDaemon(true);
        thread.start();
        return result;
    }

    /** The task's result, or what it threw. */
    static <T> T await(CompletableFuture<T> task) throws IOException, InterruptedException {
        try {
            return task.get();
        } catch (ExecutionException e) {
            if (e.getCause() instanceof IOException io) {
                throw io;
            }
            if (e.getCause() instanceof RuntimeException r) {
                throw r;
            }
            if (e.getCause() instanceof Error err) {
                throw err;
            }
            throw new IOException(e.getCause());
        }
    }

    /** Waits until every task has ended, whatever its outcome; an interrupt is kept for the caller. */
    static void awaitAll(List<? extends CompletableFuture<?>> tasks) {
        boolean interrupted = false;
        for (CompletableFuture<?> task : tasks) {
            while (true) {
                try {
                    task.get();
                    break;
                } catch (ExecutionException e) {
                    break; // reported by whoever awaits its result
                } catch (InterruptedException e) {
                    interrupted = true;
                }
            }
        }
        if (interrupted) {
            Thread.currentThread().interrupt();
        }
    }
}
