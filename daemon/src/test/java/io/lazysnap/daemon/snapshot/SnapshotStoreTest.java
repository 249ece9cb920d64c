package io.lazysnap.daemon.snapshot;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.nio.file.Path;
import java.time.Instant;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SnapshotStoreTest {

    @Test
    void eachSnapshotReadsItsOwnLabelsHoweverManyAreRead(@TempDir Path dir) throws Exception {
        try (SnapshotStore store = SnapshotStore.open(dir.resolve("metadata.db"))) {
            int count = 300; // more than are read by id
            store.transaction(tx -> {
                for (int i = 0; i < count; i++) {
                    tx.insert("s" + i, 0, Kind.ACTIVE, labels(i), Instant.EPOCH);
                }
                return null;
            });
            List<StoredSnapshot> all = store.read(SnapshotStore.Tx::all);
            assertEquals(count, all.size());
            all.forEach(s -> assertEquals(labels(Integer.parseInt(s.info().name().substring(1))), s.info().labels()));

            List<StoredSnapshot> found = store.read(tx -> tx.withAnyLabel(List.of(new Label("n", "7"),
                    new Label("parity", "odd"), new Label("n", "8"))));
            assertEquals(count / 2 + 1, found.size(), "the odd ones and s8, each once");
            found.forEach(s -> assertEquals(labels(Integer.parseInt(s.info().name().substring(1))), s.info().labels()));

            List<StoredSnapshot> two = store.read(tx -> tx.withAnyLabel(List.of(new Label("n", "7"),
                    new Label("n", "8"))));
            assertEquals(List.of("s7", "s8"), two.stream().map(s -> s.info().name()).toList());
            assertEquals(labels(8), two.get(1).info().labels());
            assertEquals(List.of(), store.read(tx -> tx.withAnyLabel(List.of(new Label("n", "none")))));
        }
    }

    @Test
    void censusCountsKindsAndSumsWhatCommitsMeasured(@TempDir Path dir) throws Exception {
        try (SnapshotStore store = SnapshotStore.open(dir.resolve("metadata.db"))) {
            assertEquals(new Census(Map.of(Kind.ACTIVE, 0L, Kind.VIEW, 0L, Kind.COMMITTED, 0L), 0),
                    store.read(SnapshotStore.Tx::census));
            store.transaction(tx -> {
                for (int i = 0; i < 5; i++) {
                    long id = tx.insert("a" + i, 0, Kind.ACTIVE, Map.of(), Instant.EPOCH);
                    if (i < 3) {
                        tx.commit(id, "c" + i, Map.of(), new Usage(1000L << i, 1), Instant.EPOCH);
                    }
                }
                tx.insert("v", 0, Kind.VIEW, Map.of(), Instant.EPOCH);
                return null;
            });
            assertEquals(new Census(Map.of(Kind.ACTIVE, 2L, Kind.VIEW, 1L, Kind.COMMITTED, 3L), 7000),
                    store.read(SnapshotStore.Tx::census));
        }
    }

    private static Map<String, String> labels(int i) {
        Map<String, String> labels = new HashMap<>();
        labels.put("n", Integer.toString(i));
        labels.put("parity", i % 2 == 0 ? "even" : "odd");
        if (i % 3 == 0) {
            labels.put("three", "yes");
        }
        return labels;
    }
}
