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
    private final Map<String, TocEntry> byPath;
    private final Map<String, List<TocEntry>> children;
    private final String digest;

    /** Takes the collections over: the builder hands in fresh ones and keeps no reference (copies cost a third). */
    Toc(List<TocEntry> entries, Map<String, TocEntry> byPath, Map<String, List<TocEntry>> children, String digest) {
        this.entries = Collections.unmodifiableList(entries);
        this.byPath = Collections.unmodifiableMap(byPath);
        this.children = Collections.unmodifiableMap(children);
        this.digest = digest;
    }

    /** The root directory (path {@code ""}); synthesised when the layer has no entry for it. */
    public TocEntry root() {
        return byPath.get("");
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
        return Optional.ofNullable(byPath.get(clean));
    }

    /** A directory's children sorted by name; empty for non-directories. */
    public List<TocEntry> children(TocEntry directory) {
        return children.getOrDefault(directory.path(), List.of());
    }

    /** The object a name stands for: the target for a hardlink, the entry itself otherwise. */
    public TocEntry resolve(TocEntry entry) {
        return entry.type() == EntryType.HARDLINK ? byPath.get(entry.linkName()) : entry;
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
        TocEntry landmark = byPath.get(PREFETCH_LANDMARK);
        if (landmark == null || landmark.chunks().isEmpty()) {
            return Optional.empty();
        }
        return Optional.of(new ByteRange(0, landmark.chunks().get(0).memberOffset()));
    }
}
