package io.lazysnap.estargz;

import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The immutable table of contents of one layer: every entry by clean path, each directory's children in a
 * stable (name) order, hardlinks resolved, chunk lists per file. It knows nothing about how it is served.
 */
public final class Toc {

    /** Entry whose start marks the end of the prioritised (prefetch) files. */
    public static final String PREFETCH_LANDMARK = ".prefetch.landmark";
    /** Entry that says the layer has no prioritised files. */
    public static final String NO_PREFETCH_LANDMARK = ".no.prefetch.landmark";

    private final List<TocEntry> entries;
    private final TocEntry root;
    /**
     * Each directory's children, sorted: what finds an entry by its path. A map of every path would cost a mounted
     * layer 40 bytes a file more.
     */
    private final Map<String, List<TocEntry>> children;
    /** The entries hardlinks point at, by path. */
    private final Map<String, TocEntry> linkTargets;
    private final String digest;

    /** Takes the collections over: the builder hands in fresh ones and keeps no reference (copies cost a third). */
    Toc(List<TocEntry> entries, TocEntry root, Map<String, List<TocEntry>> children,
        Map<String, TocEntry> linkTargets, String digest) {
        this.entries = Collections.unmodifiableList(entries);
        this.root = root;
        this.children = Collections.unmodifiableMap(children);
        this.linkTargets = Collections.unmodifiableMap(linkTargets);
        this.digest = digest;
    }

    /** The root directory (path {@code ""}); synthesised when the layer has no entry for it. */
    public TocEntry root() {
        return root;
    }

    /** All entries (root and implicit directories included) in TOC order. */
    public List<TocEntry> entries() {
        return entries;
    }

    /** The entry at a path; the path is cleaned first, so {@code "./bin/"} finds {@code "bin"}. */
    public Optional<TocEntry> entry(String path) {
        String clean;
        try {
            clean = path.isEmpty() || path.equals("/") ? "" : EntryPaths.clean(path.replaceFirst("^/+", ""));
        } catch (LayerFormatException e) {
            return Optional.empty();
        }
        return Optional.ofNullable(clean.isEmpty() ? root : byCleanPath(clean));
    }

    private TocEntry byCleanPath(String path) {
        List<TocEntry> siblings = children.getOrDefault(path.substring(0, Math.max(0, path.lastIndexOf('/'))),
                List.of());
        int low = 0;
        int high = siblings.size() - 1;
        while (low <= high) {
            int mid = (low + high) >>> 1;
            int c = siblings.get(mid).path().compareTo(path);
            if (c == 0) {
                return siblings.get(mid);
            } else if (c < 0) {
                low = mid + 1;
            } else {
                high = mid - 1;
            }
        }
        return null;
    }

    /** A directory's children sorted by name; empty for non-directories. */
    public List<TocEntry> children(TocEntry directory) {
        return children.getOrDefault(directory.path(), List.of());
    }

    /** The object a name stands for: the target for a hardlink, the entry itself otherwise. */
    public TocEntry resolve(TocEntry entry) {
        return entry.type() == EntryType.HARDLINK ? linkTargets.get(entry.linkName()) : entry;
    }

    /** sha256 of the uncompressed TOC JSON, comparable with {@link LayerAnnotations#TOC_DIGEST}. */
    public String digest() {
        return digest;
    }

    /**
     * The compressed range holding the prioritised files: {@code [0, offset of .prefetch.landmark)}. Empty
     * when the layer has {@code .no.prefetch.landmark} or no landmark at all.
     */
    public Optional<ByteRange> prefetchRange() {
        TocEntry landmark = byCleanPath(PREFETCH_LANDMARK);
        if (landmark == null || landmark.chunks().isEmpty()) {
            return Optional.empty();
        }
        return Optional.of(new ByteRange(0, landmark.chunks().get(0).memberOffset()));
    }
}
