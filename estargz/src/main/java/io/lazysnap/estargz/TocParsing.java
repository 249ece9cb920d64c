package io.lazysnap.estargz;

import java.io.InterruptedIOException;
import java.util.concurrent.Semaphore;

/**
 * Bounds the TOC JSON being parsed at once in this JVM to what one TOC may be ({@link TocReader#heapBoundJson}).
 * Parsing takes about five times the JSON's size, and a daemon opens an image's layers in parallel: four TOCs that
 * each fit the heap alone could exhaust it together, and a JVM out of heap ends the daemon.
 */
final class TocParsing {

    private static final int CAPACITY_KIB = (int) Math.max(1, TocReader.heapBoundJson() >> 10);
    private static final Semaphore KIB = new Semaphore(CAPACITY_KIB, true);

    private TocParsing() {
    }

    /** A parse's share of the bound, held until released. */
    static final class Permit implements AutoCloseable {
        private final int kib;

        private Permit(int kib) {
            this.kib = kib;
        }

        @Override
        public void close() {
            KIB.release(kib);
        }
    }

    /** Waits until {@code jsonBytes} of JSON (the whole bound, for a larger TOC reopened) may be parsed. */
    static Permit acquire(long jsonBytes) throws InterruptedIOException {
        int kib = (int) Math.min(CAPACITY_KIB, Math.max(1, jsonBytes >> 10));
        try {
            KIB.acquire(kib);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new InterruptedIOException("interrupted while waiting to parse a TOC");
        }
        return new Permit(kib);
    }
}
