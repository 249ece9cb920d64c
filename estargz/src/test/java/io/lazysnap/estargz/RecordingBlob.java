package io.lazysnap.estargz;

import java.io.IOException;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

/** A blob in memory that records what is read from it and can fail or corrupt reads on demand. */
public class RecordingBlob extends MemoryBlob {

    public final List<ByteRange> reads = Collections.synchronizedList(new ArrayList<>());
    public final AtomicLong bytesRead = new AtomicLong();
    /** The next this many reads throw, as a flaky network would. */
    public final AtomicInteger failNext = new AtomicInteger();
    /** Reads overlapping this range get one byte of it flipped, every time. */
    public volatile ByteRange corrupt;

    public RecordingBlob(byte[] data) {
        super(data);
    }

    @Override
    public byte[] read(long offset, int length) throws IOException {
        byte[] out = super.read(offset, length);
        if (failNext.getAndUpdate(n -> Math.max(0, n - 1)) > 0) {
            throw new IOException("injected transient failure");
        }
        reads.add(new ByteRange(offset, length));
        bytesRead.addAndGet(length);
        ByteRange bad = corrupt;
        long middle = bad == null ? -1 : bad.offset() + bad.length() / 2;
        if (bad != null && middle >= offset && middle < offset + length) {
            out[(int) (middle - offset)] ^= 0x55;
        }
        return out;
    }

    public void resetCounters() {
        reads.clear();
        bytesRead.set(0);
    }
}
