package io.lazysnap.estargz;

/** A range {@code [offset, offset + length)} of the compressed blob. */
public record ByteRange(long offset, long length) {

    public ByteRange {
        if (offset < 0 || length < 0) {
            throw new IllegalArgumentException("negative range " + offset + "+" + length);
        }
    }

    public long end() {
        return offset + length;
    }
}
