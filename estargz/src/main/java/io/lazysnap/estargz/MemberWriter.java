package io.lazysnap.estargz;

import com.github.luben.zstd.ZstdOutputStreamNoFinalizer;
import java.io.FilterOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.security.MessageDigest;
import java.util.zip.CRC32;
import java.util.zip.Deflater;

/**
 * Writes the uncompressed tar stream as a sequence of independently decompressible members (gzip members or
 * zstd frames) onto a counting blob stream, and digests the uncompressed bytes for the diffID. A member is
 * opened by the first write after {@link #closeMember()}.
 */
abstract class MemberWriter {

    final CountingOutputStream blob;
    private final MessageDigest diffId = Digests.sha256();
    private long uncompressed;
    private boolean open;
    private long memberOffset;
    private long memberBytes;

    MemberWriter(CountingOutputStream blob) {
        this.blob = blob;
    }

    static MemberWriter create(LayerFormat format, CountingOutputStream blob, int level) {
        return switch (format) {
            case ESTARGZ -> new Gzip(blob, level);
            case ZSTD_CHUNKED -> new Zstd(blob, level);
        };
    }

    final void write(byte[] b, int off, int len) throws IOException {
        if (len == 0) {
            return;
        }
        if (!open) {
            memberOffset = blob.count();
            memberBytes = 0;
            begin();
            open = true;
        }
        compress(b, off, len);
        diffId.update(b, off, len);
        uncompressed += len;
        memberBytes += len;
    }

    final void write(byte[] b) throws IOException {
        write(b, 0, b.length);
    }

    final void closeMember() throws IOException {
        if (open) {
            end();
            open = false;
        }
    }

    /** Closes the current member so that the next write starts a new one at {@link #nextMemberOffset()}. */
    final long nextMemberOffset() throws IOException {
        closeMember();
        return blob.count();
    }

    long memberOffset() {
        return memberOffset;
    }

    /** Uncompressed bytes written to the open member so far. */
    long memberBytes() {
        return open ? memberBytes : 0;
    }

    long uncompressedSize() {
        return uncompressed;
    }

    String diffId() {
        return Digests.format(diffId.digest());
    }

    abstract void begin() throws IOException;

    abstract void compress(byte[] b, int off, int len) throws IOException;

    abstract void end() throws IOException;

    /** RFC 1952 members with a 10-byte header, one reused deflater. */
    static final class Gzip extends MemberWriter {
        private static final byte[] HEADER = {0x1f, (byte) 0x8b, 8, 0, 0, 0, 0, 0, 0, (byte) 0xff};
        private final Deflater deflater;
        private final CRC32 crc = new CRC32();
        private final byte[] buffer = new byte[64 * 1024];

        Gzip(CountingOutputStream blob, int level) {
            super(blob);
            this.deflater = new Deflater(level, true);
        }

        @Override
        void begin() throws IOException {
            deflater.reset();
            crc.reset();
            blob.write(HEADER);
        }

        @Override
        void compress(byte[] b, int off, int len) throws IOException {
            crc.update(b, off, len);
            deflater.setInput(b, off, len);
            while (!deflater.needsInput()) {
                drain();
            }
        }

        @Override
        void end() throws IOException {
            deflater.finish();
            while (!deflater.finished()) {
                drain();
            }
            long size = deflater.getBytesRead();
            int c = (int) crc.getValue();
            blob.write(new byte[] {(byte) c, (byte) (c >> 8), (byte) (c >> 16), (byte) (c >> 24),
                    (byte) size, (byte) (size >> 8), (byte) (size >> 16), (byte) (size >> 24)});
        }

        private void drain() throws IOException {
            int n = deflater.deflate(buffer);
            blob.write(buffer, 0, n);
        }
    }

    /** One zstd frame per member. */
    static final class Zstd extends MemberWriter {
        private final int level;
        private ZstdOutputStreamNoFinalizer frame;

        Zstd(CountingOutputStream blob, int level) {
            super(blob);
            this.level = level;
        }

        @Override
        void begin() throws IOException {
            frame = new ZstdOutputStreamNoFinalizer(new FilterOutputStream(blob) {
                @Override
                public void write(byte[] b, int off, int len) throws IOException {
                    out.write(b, off, len);
                }

                @Override
                public void close() {
                    // the blob outlives every frame
                }
            }, level);
        }

        @Override
        void compress(byte[] b, int off, int len) throws IOException {
            frame.write(b, off, len);
        }

        @Override
        void end() throws IOException {
            frame.close();
            frame = null;
        }
    }
}
