package io.lazysnap.fs;

import io.lazysnap.estargz.Chunk;
import io.lazysnap.estargz.EntryType;
import io.lazysnap.estargz.Toc;
import io.lazysnap.estargz.TocEntry;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;

/** A chunk and the file it belongs to (for log lines). */
record FileChunk(String path, Chunk chunk) {

    /** Every chunk of every regular file of the layer, in blob order. */
    static List<FileChunk> allOf(Toc toc) {
        List<FileChunk> all = new ArrayList<>();
        for (TocEntry e : toc.entries()) {
            if (e.type() == EntryType.REG) {
                e.chunks().forEach(c -> all.add(new FileChunk(e.path(), c)));
            }
        }
        all.sort(Comparator.comparingLong((FileChunk f) -> f.chunk().memberOffset())
                .thenComparingLong(f -> f.chunk().innerOffset()));
        return all;
    }
}
