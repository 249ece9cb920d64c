package io.lazysnap.fs;

import io.lazysnap.estargz.BlobSource;
import io.lazysnap.estargz.ByteRange;
import java.io.EOFException;
import java.io.IOException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

/** A blob in memory that counts what is read from it and can fail or corrupt reads on demand. */
class MemoryBlob implements BlobSource {

    final byte[] data;
    final List<ByteRange> reads = Collections.synchronizedList(new ArrayList<>());
    final AtomicLong bytesRead = new AtomicLong();
    /** The next this many reads throw, as a flaky network would. */
    final AtomicInteger failNext = new AtomicInteger();
    /** Reads overlapping this range get one byte of it flipped, every time. */
    volatile ByteRange corrupt;

    MemoryBlob(byte[] data) {
        this.data = data;
    }

    @Override
    public long size() {
        return data.length;
    }

    @Override
    public byte[] read(long offset, int length) throws IOException {
        if (offset < 0 || length < 0 || offset + length > data.length) {
            throw new EOFException("read " + offset + "+" + length + " outside " + data.length + " bytes");
        }
        if (failNext.getAndUpdate(n -> Math.max(0, n - 1)) > 0) {
            throw new IOException("injected transient failure");
        }
        reads.add(new ByteRange(offset, length));
        bytesRead.addAndGet(length);
        byte[] out = Arrays.copyOfRange(data, (int) offset, (int) offset + length);
        ByteRange bad = corrupt;
        if (bad != null && bad.offset() + bad.length() / 2 >= offset && bad.offset() + bad.length() / 2 < offset + length) {
            out[(int) (bad.offset() + bad.length() / 2 - offset)] ^= 0x55;
        }
        return out;
    }

    void resetCounters() {
        reads.clear();
        bytesRead.set(0);
    }
}
