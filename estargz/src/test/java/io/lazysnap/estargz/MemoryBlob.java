package io.lazysnap.estargz;

import java.io.EOFException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;

/** A blob in memory that records every range read from it. */
final class MemoryBlob implements BlobSource {

    final byte[] data;
    final List<ByteRange> reads = Collections.synchronizedList(new ArrayList<>());

    MemoryBlob(byte[] data) {
        this.data = data;
    }

    @Override
    public long size() {
        return data.length;
    }

    @Override
    public byte[] read(long offset, int length) throws EOFException {
        if (offset < 0 || length < 0 || offset + length > data.length) {
            throw new EOFException("read " + offset + "+" + length + " outside " + data.length + " bytes");
        }
        reads.add(new ByteRange(offset, length));
        return Arrays.copyOfRange(data, (int) offset, (int) offset + length);
    }
}
