package io.lazysnap.daemon.remote;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.lazysnap.estargz.BlobSource;
import java.io.IOException;
import java.nio.ByteBuffer;

/** Reads a range piece by piece, as a prefetch does, into a receiver that takes at most 700 bytes at a time. */
final class PieceByPiece {

    private PieceByPiece() {
    }

    static byte[] read(BlobSource blob, long offset, int length) throws IOException {
        byte[] out = new byte[length];
        blob.read(offset, length, new BlobSource.Receiver() {
            @Override
            public ByteBuffer window(int done, int rest) {
                return ByteBuffer.wrap(out, done, Math.min(700, rest));
            }

            @Override
            public void received(ByteBuffer bytes, int done) {
                assertEquals(done, bytes.position(), "pieces come in order");
            }
        });
        return out;
    }
}
