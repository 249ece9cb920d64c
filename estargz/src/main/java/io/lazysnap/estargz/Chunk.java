package io.lazysnap.estargz;

/**
 * One independently compressed and verifiable piece of a regular file.
 *
 * @param fileOffset   where the chunk's bytes start in the uncompressed file
 * @param size         uncompressed length of the chunk
 * @param memberOffset blob offset of the gzip member / zstd frame holding the chunk ({@code offset})
 * @param memberEnd    blob offset where that member ends (the next member's start, or the TOC's)
 * @param innerOffset  uncompressed bytes to skip inside the member before the chunk starts
 * @param sha256       the sha256 of the uncompressed chunk, or null when the TOC records none
 */
public record Chunk(long fileOffset, long size, long memberOffset, long memberEnd, long innerOffset, Sha256 sha256) {

    /** The compressed bytes that must be fetched to decode this chunk. */
    public ByteRange memberRange() {
        return new ByteRange(memberOffset, memberEnd - memberOffset);
    }

    public long fileEnd() {
        return fileOffset + size;
    }
}
