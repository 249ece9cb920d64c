package io.lazysnap.fs;

import io.lazysnap.estargz.Chunk;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;

/**
 * Serves byte ranges of regular files: the range's chunks come from the {@link ChunkLoader}, and a reader that
 * reads sequentially gets the chunks after its position loaded in the background before it asks for them.
 */
final class FileReader {

    /** How far apart two reads may be and still count as sequential: the kernel may reorder its requests. */
    private static final long SEQUENTIAL_SLACK = 256 << 10;

    /** Where bytes of a read go: {@code length} bytes of {@code src} from {@code srcOffset} to {@code offset}. */
    interface Sink {
        void put(int offset, byte[] src, int srcOffset, int length);

        /**
         * Puts {@code length} bytes from {@code position} of {@code file} at {@code offset}, if the file is
         * {@code fileSize} bytes long; false if it is not, or is gone. This one reads them through the heap; a sink
         * with memory of its own reads them straight into it.
         */
        default boolean putFile(int offset, Path file, long fileSize, long position, int length) {
            try (FileChannel in = FileChannel.open(file)) {
                if (in.size() != fileSize) {
                    return false;
                }
                ByteBuffer part = ByteBuffer.allocate(length);
                while (part.hasRemaining()) {
                    if (in.read(part, position + part.position()) < 0) {
                        return false;
                    }
                }
                put(offset, part.array(), 0, length);
                return true;
            } catch (IOException e) {
                return false;
            }
        }
    }

    /** The read-ahead state of one open file. */
    static final class Cursor {
        private long next = -1;
        private long readAheadEnd;
    }

    private final ChunkLoader loader;
    private final Executor readAhead;
    private final long readAheadBytes;

    FileReader(ChunkLoader loader, Executor readAhead, long readAheadBytes) {
        this.loader = loader;
        this.readAhead = readAhead;
        this.readAheadBytes = readAheadBytes;
    }

    /** Reads up to {@code length} bytes from {@code offset}; returns how many (0 at or past the end). */
    int read(Inode file, Cursor cursor, long offset, int length, Sink sink) throws IOException {
        long end = Math.min(file.size(), offset + length);
        if (file.content() == null || offset >= end) {
            return 0;
        }
        for (Chunk c : file.content().chunksCovering(offset, end - offset)) {
            long from = Math.max(offset, c.fileOffset());
            int n = (int) (Math.min(end, c.fileEnd()) - from);
            loader.read(new FileChunk(file.path(), c), (int) (from - c.fileOffset()), n, sink, (int) (from - offset));
        }
        readAhead(file, cursor, offset, end);
        return (int) (end - offset);
    }

    private void readAhead(Inode file, Cursor cursor, long offset, long end) {
        if (readAheadBytes <= 0) {
            return;
        }
        List<Chunk> ahead;
        synchronized (cursor) {
            boolean sequential = cursor.next >= 0 && Math.abs(offset - cursor.next) <= SEQUENTIAL_SLACK;
            cursor.next = end;
            if (!sequential) {
                return;
            }
            long from = Math.max(end, cursor.readAheadEnd);
            long to = Math.min(file.size(), end + readAheadBytes);
            if (from >= to) {
                return;
            }
            ahead = file.content().chunksCovering(from, to - from);
            cursor.readAheadEnd = ahead.get(ahead.size() - 1).fileEnd(); // whole chunks: none is asked for twice
        }
        for (Chunk c : ahead) {
            FileChunk fc = new FileChunk(file.path(), c);
            if (!loader.isCached(fc, true)) { // a chunk on disk is read from there, part by part
                try {
                    readAhead.execute(() -> loader.loadQuietly(fc, ChunkLoader.Purpose.READ_AHEAD));
                } catch (RejectedExecutionException e) {
                    return; // read-ahead is best effort: busy or shutting down
                }
            }
        }
    }
}
