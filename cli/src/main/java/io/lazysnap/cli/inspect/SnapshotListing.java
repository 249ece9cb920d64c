package io.lazysnap.cli.inspect;

import io.lazysnap.daemon.status.HandoverStatus;
import io.lazysnap.daemon.remote.RecordedLayer;
import io.lazysnap.daemon.root.Root;
import io.lazysnap.daemon.snapshot.LayerLabels;
import io.lazysnap.daemon.snapshot.SnapshotRows;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/** {@code lazysnap ls}: one line per snapshot of a root, read from its metadata and the mount table. */
public final class SnapshotListing {

    private static final String[] HEADER = {"ID", "KIND", "TYPE", "MOUNT", "LAYER", "PARENT", "NAME"};

    private SnapshotListing() {
    }

    /** What {@code ls} knows of one snapshot. */
    record Entry(SnapshotRows.Row row, boolean remote, String layer, String image, String mount) {
    }

    static List<Entry> entries(Root root) throws IOException {
        Map<Path, String> mounts = MountTable.read();
        List<String> takenOver = HandoverStatus.read(root).map(HandoverStatus::takenOver).orElse(List.of());
        List<Entry> entries = new ArrayList<>();
        for (SnapshotRows.Row row : SnapshotRows.read(root.metadata())) {
            Path dir = root.snapshot(row.id());
            boolean remote = LayerLabels.REMOTE_VALUE.equals(row.labels().get(LayerLabels.REMOTE));
            String layer = label(row.labels(), LayerLabels.CRI_LAYER_DIGEST, LayerLabels.STARGZ_DIGEST);
            String image = label(row.labels(), LayerLabels.CRI_IMAGE_REF, LayerLabels.STARGZ_REFERENCE);
            if (remote && layer.isEmpty() && RecordedLayer.isRemote(dir)) {
                RecordedLayer recorded = RecordedLayer.open(dir);
                layer = recorded.digest();
                image = recorded.repository();
            }
            Path fs = Root.files(dir);
            String type = mounts.get(fs);
            String mount = type == null ? (remote ? "MISSING" : "")
                    : takenOver.contains(fs.toAbsolutePath().normalize().toString()) ? type + " (taken over)" : type;
            entries.add(new Entry(row, remote, layer, image, mount));
        }
        return entries;
    }

    /** The CRI label, else the rpull-style one, else empty: either family may name a layer. */
    private static String label(Map<String, String> labels, String cri, String rpull) {
        return labels.getOrDefault(cri, labels.getOrDefault(rpull, ""));
    }

    public static void print(Root root, PrintStream out) throws IOException {
        List<String[]> lines = new ArrayList<>();
        lines.add(HEADER);
        for (Entry e : entries(root)) {
            lines.add(new String[] {Long.toString(e.row().id()), e.row().kind(), e.remote() ? "remote" : "plain",
                    e.mount().isEmpty() ? "-" : e.mount(), e.layer().isEmpty() ? "-" : e.layer(),
                    e.row().parent().isEmpty() ? "-" : e.row().parent(), e.row().name()});
        }
        int[] widths = new int[HEADER.length];
        for (String[] l : lines) {
            for (int i = 0; i < l.length; i++) {
                widths[i] = Math.max(widths[i], l[i].length());
            }
        }
        for (String[] l : lines) {
            StringBuilder b = new StringBuilder();
            for (int i = 0; i < l.length; i++) {
                b.append(i == l.length - 1 ? l[i] : String.format("%-" + (widths[i] + 2) + "s", l[i]));
            }
            out.println(b.toString().stripTrailing());
        }
    }
}
