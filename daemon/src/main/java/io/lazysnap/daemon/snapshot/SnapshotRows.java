package io.lazysnap.daemon.snapshot;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.sqlite.SQLiteConfig;

/**
 * The snapshots of a store, read over a read-only connection, for the client commands: the store's WAL journal
 * lets this read a consistent state while a daemon writes. The tables are {@link SnapshotStore}'s.
 */
public final class SnapshotRows {

    /** One snapshot; {@code parent} is empty for a base layer, {@code size} is what commit measured. */
    public record Row(long id, String name, String parent, String kind, long size, Map<String, String> labels) {
    }

    private SnapshotRows() {
    }

    /** Every snapshot of the store in {@code db}, by id. */
    public static List<Row> read(Path db) throws IOException {
        if (!Files.isRegularFile(db)) {
            throw new IOException("no " + db + ": not a lazysnap root (use --root)");
        }
        SQLiteConfig config = new SQLiteConfig();
        config.setReadOnly(true);
        config.setBusyTimeout(5000);
        try (Connection c = DriverManager.getConnection("jdbc:sqlite:" + db, config.toProperties());
             Statement s = c.createStatement()) {
            Map<Long, Map<String, String>> labels = new HashMap<>();
            try (ResultSet r = s.executeQuery("SELECT snapshot_id, key, value FROM labels")) {
                while (r.next()) {
                    labels.computeIfAbsent(r.getLong(1), id -> new TreeMap<>()).put(r.getString(2), r.getString(3));
                }
            }
            List<Row> rows = new ArrayList<>();
            try (ResultSet r = s.executeQuery("""
                    SELECT s.id, s.name, COALESCE(p.name, ''), s.kind, s.size
                    FROM snapshots s LEFT JOIN snapshots p ON s.parent_id = p.id ORDER BY s.id""")) {
                while (r.next()) {
                    rows.add(new Row(r.getLong(1), r.getString(2), r.getString(3), r.getString(4).toLowerCase(),
                            r.getLong(5), labels.getOrDefault(r.getLong(1), Map.of())));
                }
            }
            return rows;
        } catch (SQLException e) {
            throw new IOException("reading " + db + ": " + e.getMessage(), e);
        }
    }
}
