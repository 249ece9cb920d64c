package io.lazysnap.daemon.metrics;

/** Prometheus measures time in seconds. */
final class Seconds {

    private Seconds() {
    }

    static double of(long nanos) {
        return nanos / 1e9;
    }

    static double since(long startNanos) {
        return of(System.nanoTime() - startNanos);
    }
}
