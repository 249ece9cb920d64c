package io.lazysnap.daemon.remote;

import io.lazysnap.estargz.BlobSource;
import io.lazysnap.registry.BlobTail;
import io.lazysnap.registry.Reference;
import io.lazysnap.registry.RegistryClient;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A layer's last bytes, asked of the registry while the manifest that describes the layer is still on its way, so
 * that the footer's round trip overlaps the manifest's instead of following it (a CRI Prepare names the layer and
 * the manifest, but the layer's size and TOC digest are only in the manifest). Once the manifest gives the size,
 * the bytes serve reads of the blob's end; the TOC they lead to is verified against the manifest as always.
 */
final class EarlyTail {

    private static final Logger log = LoggerFactory.getLogger(EarlyTail.class);
    static final EarlyTail NONE = new EarlyTail(CompletableFuture.completedFuture(Optional.empty()), "");

    private final CompletableFuture<Optional<BlobTail>> read;
    private final String layerDigest;

    private EarlyTail(CompletableFuture<Optional<BlobTail>> read, String layerDigest) {
        this.read = read;
        this.layerDigest = layerDigest;
    }

    /**
     * Starts reading the last {@code length} bytes of layer {@code layerDigest} of {@code image}'s repository on
     * {@code executor}; when it has no thread free, nothing is read early.
     */
    static EarlyTail start(RegistryClient registry, Reference image, String layerDigest, int length,
                           Executor executor) {
        try {
            // supplyAsync completes the read whatever it throws: the Prepare waiting on it never waits forever.
            return new EarlyTail(CompletableFuture.supplyAsync(() -> {
                try {
                    return registry.tail(image, layerDigest, length);
                } catch (IOException e) {
                    throw new UncheckedIOException(e);
                }
            }, executor), layerDigest);
        } catch (RejectedExecutionException e) {
            return NONE;
        }
    }

    /**
     * {@code blob} (of {@code size} bytes, as the manifest says), with reads that reach into the early bytes served
     * from them. Waits for the early read; when it failed, or the registry answered it with another size or the whole
     * blob, {@code blob} is returned as it is and reads it.
     */
    BlobSource over(BlobSource blob, long size) throws IOException {
        Optional<BlobTail> tail;
        try {
            tail = read.get();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted while reading the end of layer " + layerDigest, e);
        } catch (ExecutionException e) {
            log.debug("reading the end of layer {} before its manifest failed: {}", layerDigest,
                    String.valueOf(e.getCause()));
            return blob;
        }
        if (tail.isEmpty() || tail.get().size() != size) {
            tail.ifPresent(t -> log.warn("the registry gives layer {} a size of {} bytes, its manifest {}: reading it"
                    + " by the manifest's", layerDigest, t.size(), size));
            return blob;
        }
        BlobTail bytes = tail.get();
        BlobSource.Reads reads = (offset, length) -> {
            long end = offset + length;
            if (end <= bytes.offset() || end > size || offset < 0) {
                return blob.read(offset, length);
            }
            byte[] out = new byte[length];
            int fromTail = (int) (end - Math.max(offset, bytes.offset()));
            if (offset < bytes.offset()) {
                byte[] head = blob.read(offset, length - fromTail);
                System.arraycopy(head, 0, out, 0, head.length);
            }
            System.arraycopy(bytes.bytes(), (int) (end - fromTail - bytes.offset()), out, length - fromTail, fromTail);
            return out;
        };
        return BlobSource.decorate(blob, reads, (offset, length, receiver) -> {
            if (offset + length <= bytes.offset()) {
                blob.read(offset, length, receiver);
            } else {
                BlobSource.Receiver.handOver(reads.read(offset, length), receiver);
            }
        });
    }
}
