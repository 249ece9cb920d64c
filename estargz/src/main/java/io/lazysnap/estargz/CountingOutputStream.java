package io.lazysnap.estargz;

import java.io.FilterOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.security.MessageDigest;

/** Counts and digests the compressed blob as it is written: offsets for the TOC, size and digest for the result. */
final class CountingOutputStream extends FilterOutputStream {

    private final MessageDigest digest = Digests.sha256();
    private long count;

    CountingOutputStream(OutputStream out) {
        super(out);
    }

    @Override
    public void write(int b) throws IOException {
        out.write(b);
        digest.update((byte) b);
        count++;
    }

    @Override
    public void write(byte[] b, int off, int len) throws IOException {
        out.write(b, off, len);
        digest.update(b, off, len);
        count += len;
    }

    long count() {
        return count;
    }

    String digest() {
        return Digests.format(digest.digest());
    }
}
