package io.lazysnap.fs;

import io.lazysnap.estargz.Chunk;
import io.lazysnap.estargz.EntryType;
import io.lazysnap.estargz.Sha256;
import io.lazysnap.estargz.Toc;
import io.lazysnap.estargz.TocEntry;
import java.util.HashSet;
import java.util.Objects;
import java.util.Set;

/**
 * What identifies a chunk's bytes in the caches. A chunk with a digest is content-addressed, so layers that
 * share a chunk share its cache entries; a chunk without one (possible only in an unverified TOC) is known only
 * by its position in its own layer and never leaves the memory cache.
 *
 * @param digest the chunk's sha256, which also names its disk cache file; null for a chunk known by position
 */
record ChunkKey(Sha256 digest, Object layer, long memberOffset, long innerOffset) {

    static ChunkKey of(Chunk chunk, Object layer) {
        return chunk.sha256() != null
                ? new ChunkKey(chunk.sha256(), null, 0, 0)
                : new ChunkKey(null, layer, chunk.memberOffset(), chunk.innerOffset());
    }

    /** The key of the disk cache file {@code name}. */
    static ChunkKey ofSha256(Sha256 name) {
        return new ChunkKey(name, null, 0, 0);
    }

    /** The disk names of the distinct chunks of {@code toc}'s regular files that may be stored on disk. */
    static Set<Sha256> diskNamesOf(Toc toc) {
        Set<Sha256> names = new HashSet<>();
        for (TocEntry e : toc.entries()) {
            if (e.type() == EntryType.REG) {
                e.chunks().stream().map(Chunk::sha256).filter(Objects::nonNull).forEach(names::add);
            }
        }
        return names;
    }

    // Written out rather than generated: a record's equals and hashCode are linked at their first call, and the
    // first container read that hits the memory cache paid about 12 ms for that.
    @Override
    public boolean equals(Object o) {
        return o instanceof ChunkKey k && memberOffset == k.memberOffset && innerOffset == k.innerOffset
                && Objects.equals(digest, k.digest) && Objects.equals(layer, k.layer);
    }

    @Override
    public int hashCode() {
        int h = 31 * Objects.hashCode(digest) + Objects.hashCode(layer);
        return 31 * (31 * h + Long.hashCode(memberOffset)) + Long.hashCode(innerOffset);
    }
}
