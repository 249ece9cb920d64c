package io.lazysnap.estargz;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Base64;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Validates parsed TOC entries and links them into an immutable {@link Toc}: clean paths, implicit parent
 * directories, chunk lists, member boundaries, hardlink targets and link counts. Everything the reader later
 * trusts (offsets inside the data area, contiguous chunks, safe names) is checked here, once.
 */
final class TocBuilder {

    /** Longest hardlink chain followed before the TOC is declared cyclic. */
    private static final int MAX_LINK_HOPS = 64;

    private final long dataEnd;
    private final Map<String, Draft> drafts;
    private final Map<Long, String> userNames = new HashMap<>();
    private final Map<Long, String> groupNames = new HashMap<>();

    /**
     * @param dataEnd         blob offset where file data ends and the TOC begins; no member may start at or past it
     * @param expectedEntries about how many entries will be {@link #add added} (sizes the tables)
     */
    TocBuilder(long dataEnd, int expectedEntries) {
        this.dataEnd = dataEnd;
        this.drafts = new LinkedHashMap<>(expectedEntries * 4 / 3 + 16);
        drafts.put("", Draft.implicitDirectory(""));
    }

    /** Takes the TOC's next entry, in the TOC's order, as it is parsed: it need not be kept. */
    void add(JsonEntry e) throws LayerFormatException {
        if (e == null) {
            throw new LayerFormatException("TOC contains a null entry");
        }
        addEntry(e);
    }

    /** Links the entries added into the TOC whose JSON hashes to {@code tocDigest}. */
    Toc build(String tocDigest) throws LayerFormatException {
        resolveHardlinks();
        long[] memberOffsets = memberOffsets();
        Map<String, TocEntry> byPath = new HashMap<>(drafts.size() * 2);
        for (Draft d : drafts.values()) {
            if (d.type != EntryType.HARDLINK) {
                byPath.put(d.path, new TocEntry(d, chunks(d, memberOffsets), numLink(d)));
            }
        }
        List<TocEntry> ordered = new ArrayList<>(drafts.size());
        Map<String, TocEntry> linkTargets = new HashMap<>();
        for (Draft d : drafts.values()) {
            if (d.type == EntryType.HARDLINK) {
                byPath.put(d.path, new TocEntry(d, List.of(), numLink(drafts.get(d.linkName))));
                linkTargets.put(d.linkName, byPath.get(d.linkName));
            }
            ordered.add(byPath.get(d.path));
        }
        return new Toc(ordered, byPath.get(""), children(byPath), linkTargets, tocDigest);
    }

    private void addEntry(JsonEntry e) throws LayerFormatException {
        String path = EntryPaths.clean(e.name);
        if ("chunk".equals(e.type)) {
            Draft file = drafts.get(path);
            if (file == null || file.type != EntryType.REG || file.dataEntries.isEmpty()) {
                throw new LayerFormatException("chunk entry for " + EntryPaths.quote(e.name)
                        + " does not follow a regular file of that name");
            }
            file.dataEntries.add(Draft.DataEntry.of(e));
            return;
        }
        EntryType type = typeOf(e);
        Draft existing = drafts.get(path);
        if (existing != null && !(existing.type == EntryType.DIR && type == EntryType.DIR)) {
            throw new LayerFormatException("duplicate entry " + EntryPaths.quote(e.name));
        }
        if (path.isEmpty() && type != EntryType.DIR) {
            throw new LayerFormatException("root entry " + EntryPaths.quote(e.name) + " is not a directory");
        }
        Draft d = new Draft(path, type);
        fill(d, e);
        if (existing == null) {
            ensureParents(d, e.name);
        }
        drafts.put(path, d);
    }

    private static EntryType typeOf(JsonEntry e) throws LayerFormatException {
        if (e.type != null) {
            for (EntryType t : EntryType.values()) {
                if (t.jsonName().equals(e.type)) {
                    return t;
                }
            }
        }
        throw new LayerFormatException("entry " + EntryPaths.quote(e.name) + " has unknown type \"" + e.type + '"');
    }

    private void fill(Draft d, JsonEntry e) throws LayerFormatException {
        if (e.size < 0 || e.uid < 0 || e.gid < 0 || e.devMajor < 0 || e.devMinor < 0
                || e.devMajor > Integer.MAX_VALUE || e.devMinor > Integer.MAX_VALUE) {
            throw new LayerFormatException(what(e) + " has a negative or oversized numeric field");
        }
        d.size = e.size;
        d.modTime = TocJson.parseTime(e.modtime);
        d.mode = (int) (e.mode & 07777);
        d.uid = e.uid;
        d.gid = e.gid;
        // stargz-snapshotter may record a name only on the first entry with a given uid/gid.
        d.userName = inherit(userNames, e.uid, e.userName);
        d.groupName = inherit(groupNames, e.gid, e.groupName);
        d.devMajor = (int) e.devMajor;
        d.devMinor = (int) e.devMinor;
        d.xattrs = decodeXattrs(e);
        switch (d.type) {
            case SYMLINK -> {
                if (e.linkName == null || e.linkName.isEmpty()) {
                    throw new LayerFormatException(what(e) + " is a symlink without linkName");
                }
                d.linkName = e.linkName;
            }
            case HARDLINK -> {
                if (e.linkName == null || e.linkName.isEmpty()) {
                    throw new LayerFormatException(what(e) + " is a hardlink without linkName");
                }
                d.linkName = EntryPaths.clean(e.linkName);
            }
            case REG -> {
                d.sha256 = Sha256.parse(e.digest);
                if (e.digest != null && d.sha256 == null) {
                    throw new LayerFormatException(what(e) + " has an unsupported digest \"" + e.digest + '"');
                }
                d.digest = e.digest;
                if (e.size > 0) {
                    d.dataEntries.add(Draft.DataEntry.of(e));
                }
            }
            default -> {
            }
        }
    }

    /** How an error names the entry (built only for errors: this runs once per TOC entry). */
    private static String what(JsonEntry e) {
        return "entry " + EntryPaths.quote(e.name);
    }

    private static String inherit(Map<Long, String> names, long id, String name) {
        if (name != null && !name.isEmpty()) {
            names.put(id, name);
            return name;
        }
        return names.getOrDefault(id, "");
    }

    private static Map<String, byte[]> decodeXattrs(JsonEntry e) throws LayerFormatException {
        if (e.xattrs == null || e.xattrs.isEmpty()) {
            return Map.of();
        }
        Map<String, byte[]> out = new LinkedHashMap<>();
        for (Map.Entry<String, String> x : e.xattrs.entrySet()) {
            try {
                out.put(x.getKey(), Base64.getDecoder().decode(x.getValue() == null ? "" : x.getValue()));
            } catch (IllegalArgumentException ex) {
                throw new LayerFormatException("xattr " + x.getKey() + " of " + EntryPaths.quote(e.name)
                        + " is not base64", ex);
            }
        }
        return out;
    }

    /** Adds implicit directories for the missing ancestors of {@code d}, nearest first. */
    private void ensureParents(Draft d, String rawName) throws LayerFormatException {
        String parent = d.parent;
        while (parent != null) {
            Draft p = drafts.get(parent);
            if (p == null) {
                Draft implicit = Draft.implicitDirectory(parent);
                drafts.put(parent, implicit);
                parent = implicit.parent;
            } else if (p.type != EntryType.DIR) {
                throw new LayerFormatException("parent of " + EntryPaths.quote(rawName) + " is a "
                        + p.type.jsonName() + ", not a directory");
            } else {
                return;
            }
        }
    }

    private void resolveHardlinks() throws LayerFormatException {
        for (Draft d : drafts.values()) {
            if (d.type != EntryType.HARDLINK) {
                continue;
            }
            Draft target = drafts.get(d.linkName);
            for (int hops = 0; target != null && target.type == EntryType.HARDLINK; hops++) {
                if (hops == MAX_LINK_HOPS) {
                    throw new LayerFormatException("hardlink " + EntryPaths.quote(d.path) + " is part of a cycle");
                }
                target = drafts.get(target.linkName);
            }
            if (target == null) {
                throw new LayerFormatException("hardlink " + EntryPaths.quote(d.path) + " points to missing "
                        + EntryPaths.quote(d.linkName));
            }
            if (target.type == EntryType.DIR) {
                throw new LayerFormatException("hardlink " + EntryPaths.quote(d.path) + " points to a directory");
            }
            d.linkName = target.path;
            target.links++;
        }
        for (Draft d : drafts.values()) {
            if (d.type == EntryType.DIR && d.parent != null) {
                drafts.get(d.parent).subdirectories++;
            }
        }
    }

    private static int numLink(Draft d) {
        return d.type == EntryType.DIR ? 2 + d.subdirectories : d.links;
    }

    private long[] memberOffsets() throws LayerFormatException {
        int count = 0;
        for (Draft d : drafts.values()) {
            count += d.dataEntries.size();
        }
        long[] offsets = new long[count];
        int i = 0;
        for (Draft d : drafts.values()) {
            for (Draft.DataEntry e : d.dataEntries) {
                if (e.offset() < 0 || e.offset() >= dataEnd) {
                    throw new LayerFormatException(String.format(Locale.ROOT,
                            "chunk of %s at offset %d lies outside the data area [0, %d)",
                            EntryPaths.quote(d.path), e.offset(), dataEnd));
                }
                offsets[i++] = e.offset();
            }
        }
        Arrays.sort(offsets);
        return offsets;
    }

    private List<Chunk> chunks(Draft d, long[] memberOffsets) throws LayerFormatException {
        if (d.dataEntries.isEmpty()) {
            return List.of();
        }
        List<Chunk> chunks = new ArrayList<>(d.dataEntries.size());
        long expected = 0;
        for (int i = 0; i < d.dataEntries.size(); i++) {
            Draft.DataEntry e = d.dataEntries.get(i);
            if (e.chunkOffset() != expected) {
                throw new LayerFormatException(chunkWhat(i, d) + " starts at " + e.chunkOffset() + ", expected "
                        + expected + " (chunks overlap, leave gaps or are out of order)");
            }
            long size = e.chunkSize() > 0 ? e.chunkSize() : d.size - e.chunkOffset();
            if (e.chunkSize() < 0 || e.innerOffset() < 0 || size <= 0 || e.chunkOffset() + size > d.size) {
                throw new LayerFormatException(chunkWhat(i, d) + " has an invalid size or inner offset");
            }
            // Single-chunk files may carry only the whole-file digest (containers/storage). The file's digest was
            // checked already; a single chunk's usually repeats it, and then shares it (a mounted layer keeps every
            // entry).
            Sha256 digest;
            if (e.chunkDigest() == null) {
                digest = d.dataEntries.size() == 1 ? d.sha256 : null;
            } else if (e.chunkDigest().equals(d.digest)) {
                digest = d.sha256;
            } else if ((digest = Sha256.parse(e.chunkDigest())) == null) {
                throw new LayerFormatException(chunkWhat(i, d) + " has an unsupported digest \"" + e.chunkDigest()
                        + '"');
            }
            chunks.add(new Chunk(e.chunkOffset(), size, e.offset(), nextOffset(memberOffsets, e.offset()),
                    e.innerOffset(), digest));
            expected = e.chunkOffset() + size;
        }
        if (expected != d.size) {
            throw new LayerFormatException("chunks of " + EntryPaths.quote(d.path) + " cover " + expected
                    + " of " + d.size + " bytes");
        }
        return chunks;
    }

    private static String chunkWhat(int i, Draft d) {
        return "chunk " + i + " of " + EntryPaths.quote(d.path);
    }

    private long nextOffset(long[] sorted, long offset) {
        int i = Arrays.binarySearch(sorted, offset);
        while (i < sorted.length && sorted[i] <= offset) {
            i++;
        }
        return i < sorted.length ? sorted[i] : dataEnd;
    }

    private Map<String, List<TocEntry>> children(Map<String, TocEntry> byPath) {
        Map<String, List<TocEntry>> children = new HashMap<>();
        for (Draft d : drafts.values()) {
            if (d.parent != null) {
                children.computeIfAbsent(d.parent, k -> new ArrayList<>()).add(byPath.get(d.path));
            }
        }
        children.replaceAll((dir, list) -> {
            // Siblings share their parent's path, so their paths sort as their names do (without a substring each).
            list.sort(Comparator.comparing(TocEntry::path));
            return List.copyOf(list);
        });
        return children;
    }
}
