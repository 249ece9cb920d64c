package io.lazysnap.daemon.remote;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import io.lazysnap.estargz.BlobSource;
import io.lazysnap.estargz.ByteRange;
import io.lazysnap.estargz.MemoryBlob;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Reads recorded while a layer opens are replayed after a restart, whole or piece by piece; others pass through. */
class RecordedReadsTest {

    private static final byte[] BLOB = new byte[50_000];

    static {
        new Random(11).nextBytes(BLOB);
    }

    @Test
    void recordedRangesAreReplayedPieceByPieceAndOtherReadsAndReadsAfterTheSealGoToTheBlob(@TempDir Path tmp)
            throws Exception {
        Recording registry = new Recording();
        RecordedReads reads = RecordedReads.empty();
        BlobSource recording = reads.recording(registry);
        assertArrayEquals(slice(40_000, 10_000), PieceByPiece.read(recording, 40_000, 10_000));
        reads.seal();
        assertArrayEquals(slice(0, 5000), PieceByPiece.read(recording, 0, 5000));
        assertEquals(List.of(new ByteRange(0, 5000)), registry.pieceByPiece,
                "after the seal, piecewise reads stay piecewise; before it, they are read whole to be recorded");
        reads.save(tmp.resolve("reads"));

        Recording afterRestart = new Recording();
        BlobSource replaying = RecordedReads.load(tmp.resolve("reads")).replaying(afterRestart);
        assertArrayEquals(slice(45_000, 5000), PieceByPiece.read(replaying, 45_000, 5000));
        assertArrayEquals(slice(45_000, 100), replaying.read(45_000, 100));
        assertEquals(List.of(), afterRestart.reads, "the recorded range is served from the file");
        assertArrayEquals(slice(0, 5000), PieceByPiece.read(replaying, 0, 5000));
        assertEquals(List.of(new ByteRange(0, 5000)), afterRestart.reads, "the read after the seal was not recorded");
        assertEquals(List.of(new ByteRange(0, 5000)), afterRestart.pieceByPiece, "and it went on piece by piece");
    }

    /** The blob in memory, noting the ranges read from it, and which of them were read piece by piece. */
    private static final class Recording extends MemoryBlob {
        final List<ByteRange> reads = new ArrayList<>();
        final List<ByteRange> pieceByPiece = new ArrayList<>();

        Recording() {
            super(BLOB);
        }

        @Override
        public byte[] read(long offset, int length) throws IOException {
            reads.add(new ByteRange(offset, length));
            return super.read(offset, length);
        }

        @Override
        public void read(long offset, int length, Receiver receiver) throws IOException {
            pieceByPiece.add(new ByteRange(offset, length));
            super.read(offset, length, receiver);
        }
    }

    private static byte[] slice(int offset, int length) {
        return Arrays.copyOfRange(BLOB, offset, offset + length);
    }
}
