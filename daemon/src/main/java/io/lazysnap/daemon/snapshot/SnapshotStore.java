package io.lazysnap.daemon.snapshot;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.EnumMap;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.sqlite.SQLiteConfig;

/**
 * Snapshot metadata in an embedded SQLite database ({@code metadata.db}, WAL journal, synchronous=FULL).
 *
 * <p>Every change happens inside {@link #transaction}: either all of it reaches the disk or none of it, whatever
 * moment the process is killed at. Ids come from an AUTOINCREMENT sequence and are never reused once committed,
 * because they name snapshot directories. Changes are serialized: one connection, one transaction at a time.
 * {@link #read}s have a read-only connection of their own and see the last committed state: a Stat or List from
 * containerd does not wait while a transaction mounts a remote layer.
 */
final class SnapshotStore implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(SnapshotStore.class);

    /** The unit of work run by {@link #transaction}. */
    interface Work<T> {
        T run(Tx tx) throws SQLException, IOException;
    }

    private static final String SCHEMA = """
            CREATE TABLE IF NOT EXISTS snapshots (
              id         INTEGER PRIMARY KEY AUTOINCREMENT,
              name       TEXT    NOT NULL UNIQUE,
              parent_id  INTEGER REFERENCES snapshots(id),
              kind       TEXT    NOT NULL,
              created_ns INTEGER NOT NULL,
              updated_ns INTEGER NOT NULL,
              size       INTEGER NOT NULL DEFAULT 0,
              inodes     INTEGER NOT NULL DEFAULT 0
            );
            CREATE INDEX IF NOT EXISTS snapshots_parent ON snapshots(parent_id);
            CREATE TABLE IF NOT EXISTS labels (
              snapshot_id INTEGER NOT NULL REFERENCES snapshots(id) ON DELETE CASCADE,
              key         TEXT    NOT NULL,
              value       TEXT    NOT NULL,
              PRIMARY KEY (snapshot_id, key)
            );
            CREATE INDEX IF NOT EXISTS labels_key_value ON labels(key, value);
            """;

    private static final String SELECT = """
            SELECT s.id, s.name, COALESCE(p.id, 0), COALESCE(p.name, ''), s.kind, s.created_ns, s.updated_ns,
                   s.size, s.inodes
            FROM snapshots s LEFT JOIN snapshots p ON s.parent_id = p.id
            """;

    /** Up to this many snapshots' labels are read by id, one query parameter each; past it, the whole table. */
    private static final int FEW_IDS = 256;

    private final Connection connection;
    private final Connection reader;
    private final Object reading = new Object();
    private volatile boolean closed;

    private SnapshotStore(Connection connection, Connection reader) {
        this.connection = connection;
        this.reader = reader;
    }

    static SnapshotStore open(Path file) throws IOException {
        Files.createDirectories(file.getParent());
        try {
            Connection c = DriverManager.getConnection("jdbc:sqlite:" + file);
            try (Statement s = c.createStatement()) {
                s.execute("PRAGMA journal_mode=WAL");
                s.execute("PRAGMA synchronous=FULL");
                s.execute("PRAGMA foreign_keys=ON");
                s.execute("PRAGMA busy_timeout=5000");
                for (String ddl : SCHEMA.split(";")) {
                    if (!ddl.isBlank()) {
                        s.executeUpdate(ddl);
                    }
                }
            }
            c.setAutoCommit(false);
            c.commit();
            SQLiteConfig readOnly = new SQLiteConfig();
            readOnly.setReadOnly(true);
            readOnly.setBusyTimeout(5000);
            try {
                Connection r = DriverManager.getConnection("jdbc:sqlite:" + file, readOnly.toProperties());
                r.setAutoCommit(false);
                return new SnapshotStore(c, r);
            } catch (SQLException e) {
                c.close();
                throw e;
            }
        } catch (SQLException e) {
            throw new IOException("cannot open snapshot metadata " + file + ": " + e.getMessage(), e);
        }
    }

    /**
     * Runs {@code work} atomically: commits when it returns, rolls back when it throws. An {@link IOException} of
     * the work comes out as an {@link UncheckedIOException}.
     */
    synchronized <T> T transaction(Work<T> work) {
        if (closed) {
            throw new IllegalStateException("snapshot store is closed");
        }
        try {
            T result = work.run(new Tx(connection));
            connection.commit();
            return result;
        } catch (SQLException | IOException | RuntimeException | Error e) {
            // Errors too: the connection must not carry a half-done transaction into the next one.
            rollbackQuietly(e);
            if (e instanceof RuntimeException re) {
                throw re;
            }
            if (e instanceof Error error) {
                throw error;
            }
            if (e instanceof IOException io) {
                throw new UncheckedIOException(io);
            }
            throw new IllegalStateException("snapshot metadata: " + e.getMessage(), e);
        }
    }

    /**
     * Runs {@code work}, which only reads, on the last committed state without waiting for a transaction in
     * progress.
     */
    <T> T read(Work<T> work) {
        synchronized (reading) {
            if (closed) {
                throw new IllegalStateException("snapshot store is closed");
            }
            try {
                return work.run(new Tx(reader));
            } catch (SQLException e) {
                throw new IllegalStateException("snapshot metadata: " + e.getMessage(), e);
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            } finally {
                try {
                    reader.rollback(); // ends the read transaction, so the next read sees newer commits
                } catch (SQLException e) {
                    log.warn("cannot end a read of the snapshot metadata: {}", e.toString());
                }
            }
        }
    }

    private void rollbackQuietly(Throwable cause) {
        try {
            connection.rollback();
        } catch (SQLException e) {
            cause.addSuppressed(e);
        }
    }

    @Override
    public synchronized void close() {
        if (closed) {
            return;
        }
        closed = true;
        try (connection) {
            synchronized (reading) {
                reader.close();
            }
        } catch (SQLException e) {
            throw new IllegalStateException("closing snapshot metadata: " + e.getMessage(), e);
        }
    }

    /** Operations available inside one transaction (only the reading ones inside a {@link #read}). */
    final class Tx {

        private final Connection connection;

        private Tx(Connection connection) {
            this.connection = connection;
        }

        Optional<StoredSnapshot> find(String name) throws SQLException {
            try (PreparedStatement ps = connection.prepareStatement(SELECT + " WHERE s.name = ?")) {
                ps.setString(1, name);
                List<StoredSnapshot> found = read(ps);
                return found.stream().findFirst();
            }
        }

        /** Snapshots carrying any of {@code labels} (found through the labels' index, not by reading them all). */
        List<StoredSnapshot> withAnyLabel(List<Label> labels) throws SQLException {
            if (labels.isEmpty()) {
                return List.of();
            }
            String anyLabel = String.join(" OR ", Collections.nCopies(labels.size(), "(key = ? AND value = ?)"));
            try (PreparedStatement ps = connection.prepareStatement(SELECT
                    + " WHERE s.id IN (SELECT snapshot_id FROM labels WHERE " + anyLabel + ") ORDER BY s.id")) {
                int i = 1;
                for (Label label : labels) {
                    ps.setString(i++, label.key());
                    ps.setString(i++, label.value());
                }
                return read(ps);
            }
        }

        List<StoredSnapshot> all() throws SQLException {
            try (PreparedStatement ps = connection.prepareStatement(SELECT)) {
                return read(ps);
            }
        }

        /** The snapshots by kind and the committed ones' measured bytes, in one grouped query. */
        Census census() throws SQLException {
            Map<Kind, Long> counts = new EnumMap<>(Kind.class);
            for (Kind kind : Kind.values()) {
                counts.put(kind, 0L);
            }
            long committedBytes = 0;
            try (PreparedStatement ps = connection.prepareStatement(
                    "SELECT kind, COUNT(*), SUM(size) FROM snapshots GROUP BY kind");
                 ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    Kind kind = Kind.valueOf(rs.getString(1));
                    counts.put(kind, rs.getLong(2));
                    if (kind == Kind.COMMITTED) {
                        committedBytes = rs.getLong(3);
                    }
                }
            }
            return new Census(counts, committedBytes);
        }

        /** Ids of the parent chain of {@code id}, nearest parent first. */
        List<Long> parentIds(long parentId) throws SQLException {
            List<Long> chain = new ArrayList<>();
            try (PreparedStatement ps = connection.prepareStatement("SELECT parent_id FROM snapshots WHERE id = ?")) {
                for (long id = parentId; id != 0; ) {
                    chain.add(id);
                    ps.setLong(1, id);
                    try (ResultSet rs = ps.executeQuery()) {
                        id = rs.next() ? rs.getLong(1) : 0;
                    }
                }
            }
            return chain;
        }

        boolean hasChildren(long id) throws SQLException {
            try (PreparedStatement ps = connection.prepareStatement(
                    "SELECT 1 FROM snapshots WHERE parent_id = ? LIMIT 1")) {
                ps.setLong(1, id);
                try (ResultSet rs = ps.executeQuery()) {
                    return rs.next();
                }
            }
        }

        long insert(String name, long parentId, Kind kind, Map<String, String> labels, Instant now)
                throws SQLException {
            try (PreparedStatement ps = connection.prepareStatement(
                    "INSERT INTO snapshots(name, parent_id, kind, created_ns, updated_ns) VALUES (?, ?, ?, ?, ?)",
                    Statement.RETURN_GENERATED_KEYS)) {
                ps.setString(1, name);
                if (parentId == 0) {
                    ps.setNull(2, java.sql.Types.INTEGER);
                } else {
                    ps.setLong(2, parentId);
                }
                ps.setString(3, kind.name());
                ps.setLong(4, nanos(now));
                ps.setLong(5, nanos(now));
                ps.executeUpdate();
                try (ResultSet keys = ps.getGeneratedKeys()) {
                    keys.next();
                    long id = keys.getLong(1);
                    writeLabels(id, labels);
                    return id;
                }
            }
        }

        /** Turns an active record into committed {@code name}: new name, labels, times and usage; same id. */
        void commit(long id, String name, Map<String, String> labels, Usage usage, Instant now) throws SQLException {
            try (PreparedStatement ps = connection.prepareStatement(
                    "UPDATE snapshots SET name = ?, kind = ?, created_ns = ?, updated_ns = ?, size = ?, inodes = ?"
                            + " WHERE id = ?")) {
                ps.setString(1, name);
                ps.setString(2, Kind.COMMITTED.name());
                ps.setLong(3, nanos(now));
                ps.setLong(4, nanos(now));
                ps.setLong(5, usage.size());
                ps.setLong(6, usage.inodes());
                ps.setLong(7, id);
                ps.executeUpdate();
            }
            writeLabels(id, labels);
        }

        void replaceLabels(long id, Map<String, String> labels, Instant now) throws SQLException {
            try (PreparedStatement ps = connection.prepareStatement(
                    "UPDATE snapshots SET updated_ns = ? WHERE id = ?")) {
                ps.setLong(1, nanos(now));
                ps.setLong(2, id);
                ps.executeUpdate();
            }
            writeLabels(id, labels);
        }

        void delete(long id) throws SQLException {
            try (PreparedStatement ps = connection.prepareStatement("DELETE FROM snapshots WHERE id = ?")) {
                ps.setLong(1, id);
                ps.executeUpdate();
            }
        }

        private void writeLabels(long id, Map<String, String> labels) throws SQLException {
            try (PreparedStatement del = connection.prepareStatement("DELETE FROM labels WHERE snapshot_id = ?")) {
                del.setLong(1, id);
                del.executeUpdate();
            }
            try (PreparedStatement ins = connection.prepareStatement(
                    "INSERT INTO labels(snapshot_id, key, value) VALUES (?, ?, ?)")) {
                for (Map.Entry<String, String> label : labels.entrySet()) {
                    ins.setLong(1, id);
                    ins.setString(2, label.getKey());
                    ins.setString(3, label.getValue());
                    ins.addBatch();
                }
                ins.executeBatch();
            }
        }

        private List<StoredSnapshot> read(PreparedStatement ps) throws SQLException {
            record Row(long id, String name, long parentId, String parent, Kind kind, long created, long updated,
                       Usage usage) {
            }
            List<Row> rows = new ArrayList<>();
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    rows.add(new Row(rs.getLong(1), rs.getString(2), rs.getLong(3), rs.getString(4),
                            Kind.valueOf(rs.getString(5)), rs.getLong(6), rs.getLong(7),
                            new Usage(rs.getLong(8), rs.getLong(9))));
                }
            }
            if (rows.isEmpty()) {
                return List.of();
            }
            Map<Long, Map<String, String>> labels = labelsOf(rows.stream().map(Row::id).toList());
            List<StoredSnapshot> result = new ArrayList<>(rows.size());
            for (Row r : rows) {
                SnapshotInfo info = new SnapshotInfo(r.name(), r.parent(), r.kind(), instant(r.created()),
                        instant(r.updated()), labels.getOrDefault(r.id(), Map.of()));
                result.add(new StoredSnapshot(r.id(), r.parentId(), info, r.usage()));
            }
            return result;
        }

        /** Labels of the snapshots {@code ids}; past {@link #FEW_IDS} of them, of every snapshot. */
        private Map<Long, Map<String, String>> labelsOf(List<Long> ids) throws SQLException {
            boolean few = ids.size() <= FEW_IDS;
            String sql = "SELECT snapshot_id, key, value FROM labels"
                    + (few ? " WHERE snapshot_id IN (" + String.join(",", Collections.nCopies(ids.size(), "?")) + ")"
                    : "");
            Map<Long, Map<String, String>> labels = new HashMap<>();
            try (PreparedStatement ps = connection.prepareStatement(sql)) {
                if (few) {
                    for (int i = 0; i < ids.size(); i++) {
                        ps.setLong(i + 1, ids.get(i));
                    }
                }
                try (ResultSet rs = ps.executeQuery()) {
                    while (rs.next()) {
                        labels.computeIfAbsent(rs.getLong(1), k -> new HashMap<>()).put(rs.getString(2), rs.getString(3));
                    }
                }
            }
            return labels;
        }
    }

    private static long nanos(Instant t) {
        return Math.addExact(Math.multiplyExact(t.getEpochSecond(), 1_000_000_000L), t.getNano());
    }

    private static Instant instant(long nanos) {
        return Instant.ofEpochSecond(Math.floorDiv(nanos, 1_000_000_000L), Math.floorMod(nanos, 1_000_000_000L));
    }
}
