package io.lazysnap.estargz;

import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/** Mutable working copy of an entry while a TOC is validated and linked; becomes a {@link TocEntry}. */
final class Draft {

    final String path;
    /** The parent directory's path; null for the root. */
    final String parent;
    EntryType type;
    boolean implicit;
    long size;
    Instant modTime = Instant.EPOCH;
    String linkName;
    int mode;
    long uid;
    long gid;
    String userName = "";
    String groupName = "";
    int devMajor;
    int devMinor;
    Map<String, byte[]> xattrs = Map.of();
    String digest;
    /** {@link #digest}, parsed: what the entry and a single chunk repeating it share. */
    Sha256 sha256;
    /** Empty for most entries (directories, links); sized for the one entry most files have. */
    final List<DataEntry> dataEntries = new ArrayList<>(0);
    int links = 1;
    int subdirectories;

    Draft(String path, EntryType type) {
        this.path = path;
        this.parent = path.isEmpty() ? null : EntryPaths.parent(path);
        this.type = type;
    }

    /** A directory a tar omitted but whose children exist, as the Go reader synthesises it. */
    static Draft implicitDirectory(String path) {
        Draft d = new Draft(path, EntryType.DIR);
        d.implicit = true;
        d.mode = 0755;
        return d;
    }

    /**
     * What a file's chunks need of its TOC entry and of its {@code chunk} entries: kept instead of the parsed entries,
     * whose names, times and owners are garbage once the draft has them.
     */
    record DataEntry(long offset, long innerOffset, long chunkOffset, long chunkSize, String chunkDigest) {
        static DataEntry of(JsonEntry e) {
            return new DataEntry(e.offset, e.innerOffset, e.chunkOffset, e.chunkSize, e.chunkDigest);
        }
    }
}
