package io.lazysnap.testkit;

import java.util.concurrent.TimeUnit;

/**
 * A token bucket shared by every connection of a link: the userspace stand-in for {@code tbf} where network
 * namespaces are unavailable.
 */
public final class Pacer {

    private final long bytesPerSecond;
    private final long burstBytes;
    private long tokens;
    private long last = System.nanoTime();

    public Pacer(long bytesPerSecond) {
        this.bytesPerSecond = bytesPerSecond;
        this.burstBytes = Math.max(64 << 10, bytesPerSecond / 100);
        this.tokens = burstBytes;
    }

    public synchronized void acquire(int bytes) throws InterruptedException {
        refill();
        tokens -= bytes;
        if (tokens < 0) {
            long waitNanos = -tokens * 1_000_000_000L / bytesPerSecond;
            TimeUnit.NANOSECONDS.sleep(waitNanos);
            refill();
        }
    }

    private void refill() {
        long now = System.nanoTime();
        tokens = Math.min(burstBytes, tokens + (now - last) * bytesPerSecond / 1_000_000_000L);
        last = now;
    }
}
