package io.lazysnap.cli.inspect;

import io.lazysnap.daemon.status.LayerStatsFiles;
import io.lazysnap.estargz.EntryType;
import io.lazysnap.estargz.Toc;
import io.lazysnap.estargz.TocEntry;
import io.lazysnap.fs.DiskResidency;
import io.lazysnap.fs.LayerStats;
import io.lazysnap.daemon.remote.RecordedLayer;
import io.lazysnap.daemon.root.Root;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Path;
import java.util.EnumMap;
import java.util.Map;
import java.util.Optional;

/**
 * {@code lazysnap inspect}: one snapshot, named by its key or by its layer digest, with what the root records of
 * it; for a remote layer also its TOC (from the recorded reads: no network), how much of it the disk cache holds
 * and what its mount has fetched so far.
 */
public final class SnapshotInspection {

    private SnapshotInspection() {
    }

    /** Prints the snapshot; false when the root has none by that name or layer. */
    public static boolean print(Root root, String nameOrLayer, PrintStream out) throws IOException {
        Optional<SnapshotListing.Entry> found = SnapshotListing.entries(root).stream()
                .filter(e -> e.row().name().equals(nameOrLayer) || e.layer().equals(nameOrLayer)).findFirst();
        if (found.isEmpty()) {
            return false;
        }
        SnapshotListing.Entry e = found.get();
        Path dir = root.snapshot(e.row().id());
        out.printf("snapshot:   %s%n", e.row().name());
        out.printf("id:         %d (%s)%n", e.row().id(), dir);
        out.printf("kind:       %s, %s%n", e.row().kind(), e.remote() ? "remote (served lazily)" : "plain");
        out.printf("parent:     %s%n", e.row().parent().isEmpty() ? "-" : e.row().parent());
        out.printf("image:      %s%n", e.image().isEmpty() ? "-" : e.image());
        out.printf("layer:      %s%n", e.layer().isEmpty() ? "-" : e.layer());
        if (!e.remote()) {
            out.printf("size:       %d bytes (as measured at commit)%n", e.row().size());
        } else {
            out.printf("mount:      %s%n", e.mount().equals("MISSING")
                    ? "MISSING: the daemon is not running or could not mount it again" : e.mount());
            remote(root, RecordedLayer.open(dir), out);
        }
        out.println("labels:");
        e.row().labels().forEach((k, v) -> out.printf("  %s=%s%n", k, v));
        return true;
    }

    private static void remote(Root root, RecordedLayer layer, PrintStream out) throws IOException {
        Toc toc = layer.layer().toc();
        Map<EntryType, Integer> types = new EnumMap<>(EntryType.class);
        long fileBytes = 0;
        for (TocEntry t : toc.entries()) {
            types.merge(t.type(), 1, Integer::sum);
            if (t.type() == EntryType.REG) {
                fileBytes += t.size();
            }
        }
        out.printf("blob:       %s, %d bytes, from %s%n", layer.mediaType(), layer.size(), layer.repository());
        out.printf("format:     %s, TOC %s%n", layer.layer().format(),
                layer.layer().tocVerified() ? "verified against its digest annotation" : "NOT verified (no annotation)");
        out.printf("entries:    %d (%s), %d bytes in regular files%n", toc.entries().size(), types, fileBytes);
        out.printf("prefetch:   %s%n", layer.layer().prefetchRange()
                .map(r -> "bytes " + r.offset() + "-" + (r.end() - 1) + " of the blob").orElse("none (no landmark)"));
        DiskResidency cached = DiskResidency.of(root.cache(), toc);
        out.printf("disk cache: %d of %d chunks, %d of %d bytes (%s)%n", cached.cachedChunks(), cached.chunks(),
                cached.cachedBytes(), cached.bytes(), percent(cached.cachedBytes(), cached.bytes()));
        Optional<LayerStats> stats = LayerStatsFiles.read(root, layer.digest());
        if (stats.isEmpty()) {
            out.println("fetched:    - (no counters: not mounted, or mounted less than 5 s ago)");
            return;
        }
        LayerStats s = stats.get();
        out.printf("fetched:    %d bytes in %d range reads; %d chunks fetched, %d memory hits, %d disk hits%n",
                s.blobBytes(), s.blobReads(), s.chunksFetched(), s.memoryHits(), s.diskHits());
        out.printf("errors:     %d chunks failed verification, %d reads answered EIO%n", s.verificationFailures(),
                s.readErrors());
        out.printf("progress:   prefetch %s, background fetch %s%n", s.prefetchDone() ? "done" : "running",
                s.backgroundFetchDone() ? "done" : "running");
    }

    private static String percent(long part, long whole) {
        return whole == 0 ? "empty layer" : String.format("%.1f %%", 100.0 * part / whole);
    }
}
