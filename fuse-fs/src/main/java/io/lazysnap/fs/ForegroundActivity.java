package io.lazysnap.fs;

import java.io.InterruptedIOException;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.BooleanSupplier;

/**
 * The work of every layer of a process that a container start waits for: mounts whose prefetch is running and
 * reads fetching from the registry. Background fetches of all layers hold off until none has run for a silence
 * period, so that on a shared link they never take bandwidth from an image being started (stargz-snapshotter's
 * background task manager does the same, with a 5 s period).
 */
final class ForegroundActivity {

    /** Sleeps are short so that a stopped background fetch ends quickly. */
    private static final long POLL_MILLIS = 50;

    private final long silenceNanos;
    private final AtomicInteger running = new AtomicInteger();
    private volatile long lastEnd = System.nanoTime();

    ForegroundActivity(Duration silence) {
        this.silenceNanos = silence.toNanos();
    }

    void begin() {
        running.incrementAndGet();
    }

    void end() {
        lastEnd = System.nanoTime();
        running.decrementAndGet();
    }

    /** Whether foreground work is running now or ended within the silence period. */
    boolean busy() {
        return running.get() > 0 || System.nanoTime() - lastEnd < silenceNanos;
    }

    /** Waits until {@link #busy()} is false or {@code stopped} is true; the latter is returned. */
    boolean awaitQuiet(BooleanSupplier stopped) throws InterruptedIOException {
        while (!stopped.getAsBoolean() && busy()) {
            try {
                Thread.sleep(POLL_MILLIS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new InterruptedIOException("interrupted while waiting for foreground work to end");
            }
        }
        return stopped.getAsBoolean();
    }
}
