package io.lazysnap.daemon.remote;

import io.lazysnap.estargz.BlobSource;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * The blob ranges read while opening a layer (its footer and TOC), kept on disk so that the layer can be opened
 * again after a restart without a registry round trip: replayed reads are served from the file, any other read
 * goes to the registry.
 */
final class RecordedReads {

    private record Read(long offset, byte[] bytes) {
        boolean covers(long from, int length) {
            return from >= offset && from + length <= offset + bytes.length;
        }
    }

    private final List<Read> reads;
    /** Recording stops once the layer is open: chunk reads that follow must not pile up here. */
    private volatile boolean sealed;

    private RecordedReads(List<Read> reads) {
        this.reads = reads;
    }

    static RecordedReads empty() {
        return new RecordedReads(new ArrayList<>());
    }

    /** A source that records every read it passes to {@code blob}. */
    BlobSource recording(BlobSource blob) {
        BlobSource.Reads recorded = (offset, length) -> {
            byte[] bytes = blob.read(offset, length);
            if (!sealed) {
                synchronized (reads) {
                    reads.add(new Read(offset, bytes));
                }
            }
            return bytes;
        };
        return BlobSource.decorate(blob, recorded, (offset, length, receiver) -> {
            if (sealed) {
                blob.read(offset, length, receiver);
            } else {
                BlobSource.Receiver.handOver(recorded.read(offset, length), receiver);
            }
        });
    }

    /** Stops recording: what was read so far is what opening the layer needs. */
    void seal() {
        sealed = true;
    }

    /** A source that serves recorded ranges locally and everything else from {@code blob}. */
    BlobSource replaying(BlobSource blob) {
        return BlobSource.decorate(blob, (offset, length) -> {
            byte[] recorded = recorded(offset, length);
            return recorded != null ? recorded : blob.read(offset, length);
        }, (offset, length, receiver) -> {
            byte[] recorded = recorded(offset, length);
            if (recorded != null) {
                BlobSource.Receiver.handOver(recorded, receiver);
            } else {
                blob.read(offset, length, receiver);
            }
        });
    }

    /** The range's bytes if one recorded read holds them all, else null. */
    private byte[] recorded(long offset, int length) {
        for (Read r : reads) {
            if (r.covers(offset, length)) {
                int from = (int) (offset - r.offset());
                return Arrays.copyOfRange(r.bytes(), from, from + length);
            }
        }
        return null;
    }

    /** Writes atomically (temp file + rename), so a crash leaves the old file or the new one. */
    void save(Path file) throws IOException {
        Path tmp = file.resolveSibling(file.getFileName() + ".tmp");
        try (OutputStream raw = Files.newOutputStream(tmp); DataOutputStream out = new DataOutputStream(raw)) {
            synchronized (reads) {
                out.writeInt(reads.size());
                for (Read r : reads) {
                    out.writeLong(r.offset());
                    out.writeInt(r.bytes().length);
                    out.write(r.bytes());
                }
            }
        }
        Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
    }

    static RecordedReads load(Path file) throws IOException {
        try (InputStream raw = Files.newInputStream(file); DataInputStream in = new DataInputStream(raw)) {
            int count = in.readInt();
            List<Read> reads = new ArrayList<>(count);
            for (int i = 0; i < count; i++) {
                long offset = in.readLong();
                byte[] bytes = new byte[in.readInt()];
                in.readFully(bytes);
                reads.add(new Read(offset, bytes));
            }
            return new RecordedReads(reads);
        } catch (EOFException e) {
            throw new IOException(file + " is truncated", e);
        }
    }
}
