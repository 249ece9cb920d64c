package io.lazysnap.registry;

import io.lazysnap.estargz.BlobSource;

import java.io.EOFException;
import java.io.IOException;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;

/**
 * A layer blob read lazily by HTTP range requests. Reads that wait while {@code maxInFlight} requests are
 * already running are coalesced: when a slot frees up, the waiting reads that lie within {@code gap} bytes of
 * each other are fetched with one request (never spanning more than {@code maxSpan} bytes) and each reader gets
 * its own slice. Under load this trades a few wasted gap bytes for far fewer round trips; when idle, a read goes
 * out at once. A read piece by piece is never coalesced: it waits only for a request slot.
 */
final class RegistryBlobSource implements BlobSource {

    /** Fetches exactly {@code length} bytes at {@code offset} into {@code receiver}, or throws. */
    interface RangeFetcher {
        void fetch(long offset, int length, Receiver receiver) throws IOException;
    }

    private static final class Pending {
        final long offset;
        final int length;
        byte[] result;
        IOException failure;
        boolean done;

        Pending(long offset, int length) {
            this.offset = offset;
            this.length = length;
        }

        long end() {
            return offset + length;
        }

        byte[] outcome() throws IOException {
            if (failure != null) {
                throw failure;
            }
            return result;
        }
    }

    private final String what;
    private final long size;
    private final RangeFetcher fetcher;
    private final long gap;
    private final long maxSpan;
    private final int maxInFlight;
    private final ReentrantLock lock = new ReentrantLock();
    private final Condition changed = lock.newCondition();
    private final List<Pending> queue = new ArrayList<>();
    private int inFlight;

    RegistryBlobSource(String what, long size, RangeFetcher fetcher, long gap, long maxSpan, int maxInFlight) {
        this.what = what;
        this.size = size;
        this.fetcher = fetcher;
        this.gap = gap;
        this.maxSpan = maxSpan;
        this.maxInFlight = maxInFlight;
    }

    @Override
    public long size() {
        return size;
    }

    @Override
    public byte[] read(long offset, int length) throws IOException {
        checkRange(offset, length);
        if (length == 0) {
            return new byte[0];
        }
        Pending me = new Pending(offset, length);
        List<Pending> batch;
        lock.lock();
        try {
            queue.add(me);
            while (!me.done && (inFlight >= maxInFlight || !queue.contains(me))) {
                changed.await();
            }
            if (me.done) {
                return me.outcome();
            }
            batch = takeBatchAround(me);
            inFlight++;
        } catch (InterruptedException e) {
            queue.remove(me);
            Thread.currentThread().interrupt();
            throw new java.io.InterruptedIOException("interrupted while waiting to read " + what);
        } finally {
            lock.unlock();
        }
        fetchAndDeliver(batch);
        return me.outcome();
    }

    @Override
    public void read(long offset, int length, Receiver receiver) throws IOException {
        checkRange(offset, length);
        if (length == 0) {
            return;
        }
        lock.lock();
        try {
            while (inFlight >= maxInFlight) {
                changed.await();
            }
            inFlight++;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new java.io.InterruptedIOException("interrupted while waiting to read " + what);
        } finally {
            lock.unlock();
        }
        try {
            fetcher.fetch(offset, length, receiver);
        } catch (RuntimeException e) {
            throw new IOException("reading " + what + " failed: " + e, e);
        } finally {
            lock.lock();
            try {
                inFlight--;
                changed.signalAll();
            } finally {
                lock.unlock();
            }
        }
    }

    private void checkRange(long offset, int length) throws EOFException {
        if (offset < 0 || length < 0) {
            throw new IllegalArgumentException("negative offset or length reading " + what);
        }
        if (offset + length > size) {
            throw new EOFException("bytes " + offset + "-" + (offset + length - 1) + " are past the end of "
                    + what + " (" + size + " bytes)");
        }
    }

    /** Removes {@code me} and every queued read that, merged with it, stays within the gap and span limits. */
    private List<Pending> takeBatchAround(Pending me) {
        List<Pending> sorted = new ArrayList<>(queue);
        sorted.sort(Comparator.comparingLong(p -> p.offset));
        long start = me.offset;
        long end = me.end();
        List<Pending> batch = new ArrayList<>(List.of(me));
        boolean grew = true;
        while (grew) {
            grew = false;
            for (Pending p : sorted) {
                if (batch.contains(p)) {
                    continue;
                }
                long newStart = Math.min(start, p.offset);
                long newEnd = Math.max(end, p.end());
                boolean near = p.offset <= end + gap && p.end() >= start - gap;
                if (near && newEnd - newStart <= maxSpan) {
                    batch.add(p);
                    start = newStart;
                    end = newEnd;
                    grew = true;
                }
            }
        }
        queue.removeAll(batch);
        return batch;
    }

    private void fetchAndDeliver(List<Pending> batch) {
        long start = batch.stream().mapToLong(p -> p.offset).min().orElseThrow();
        long end = batch.stream().mapToLong(Pending::end).max().orElseThrow();
        byte[] bytes = null;
        IOException failure = null;
        try {
            bytes = new byte[Math.toIntExact(end - start)];
            fetcher.fetch(start, bytes.length, Receiver.into(bytes));
        } catch (IOException e) {
            failure = e;
        } catch (RuntimeException e) {
            failure = new IOException("reading " + what + " failed: " + e, e);
        }
        boolean handedOver = false; // each reader gets an array of its own
        lock.lock();
        try {
            for (Pending p : batch) {
                if (failure != null) {
                    p.failure = failure;
                } else if (p.length == bytes.length && !handedOver) {
                    p.result = bytes; // a read of the whole span, as most are: its bytes need no copy
                    handedOver = true;
                } else {
                    p.result = new byte[p.length];
                    System.arraycopy(bytes, Math.toIntExact(p.offset - start), p.result, 0, p.length);
                }
                p.done = true;
            }
            inFlight--;
            changed.signalAll();
        } finally {
            lock.unlock();
        }
    }

    @Override
    public String toString() {
        return "RegistryBlobSource[" + what + "]";
    }
}
