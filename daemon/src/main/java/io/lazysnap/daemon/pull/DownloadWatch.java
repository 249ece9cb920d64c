package io.lazysnap.daemon.pull;

import io.lazysnap.daemon.progress.Task;
import java.util.List;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.IntToLongFunction;

/**
 * Shows on the layers' progress lines the bytes the daemon downloads of layers it unpacks itself: containerd's
 * Prepare says nothing until the layer is there, and the image's other layers download at the same time, so the
 * counts are polled, ten times a second, for every layer not finished yet.
 */
final class DownloadWatch implements AutoCloseable {

    private static final long PERIOD_MILLIS = 100;

    private final List<Task> tasks;
    private final long[] sizes;
    private final IntToLongFunction downloaded;
    private final long[] shown;
    private final boolean[] finished;
    private final ScheduledExecutorService poller = Executors.newSingleThreadScheduledExecutor(r -> {
        Thread t = new Thread(r, "pull-progress");
        t.setDaemon(true);
        return t;
    });

    /** @param downloaded bytes downloaded so far of the layer at an index; 0 while none are */
    DownloadWatch(List<Task> tasks, long[] sizes, IntToLongFunction downloaded) {
        this.tasks = tasks;
        this.sizes = sizes;
        this.downloaded = downloaded;
        this.shown = new long[tasks.size()];
        this.finished = new boolean[tasks.size()];
        poller.scheduleWithFixedDelay(this::poll, PERIOD_MILLIS, PERIOD_MILLIS, TimeUnit.MILLISECONDS);
    }

    private synchronized void poll() {
        for (int i = 0; i < tasks.size(); i++) {
            long now = finished[i] ? 0 : downloaded.applyAsLong(i);
            if (now > shown[i]) {
                if (shown[i] == 0) {
                    tasks.get(i).status("downloading", sizes[i]);
                }
                tasks.get(i).advance(now - shown[i]);
                shown[i] = now;
            }
        }
    }

    /** The layer at {@code index} has its outcome: its line is no longer updated. */
    synchronized void finished(int index) {
        finished[index] = true;
    }

    @Override
    public void close() {
        poller.shutdownNow();
    }
}
