package io.lazysnap.registry;

/**
 * The last bytes of a blob, read before its descriptor was known, with the blob's size as the registry stated it.
 * Neither is verified: whoever uses them checks the size against the descriptor and the bytes against what they
 * lead to (a layer's TOC digest).
 *
 * @param size  the blob's size, from the answer's {@code Content-Range}
 * @param bytes the blob's last {@code bytes.length} bytes
 */
public record BlobTail(long size, byte[] bytes) {

    /** Where the bytes start in the blob. */
    public long offset() {
        return size - bytes.length;
    }
}
