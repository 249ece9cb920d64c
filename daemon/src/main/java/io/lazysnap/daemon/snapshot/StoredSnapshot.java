package io.lazysnap.daemon.snapshot;

/** A snapshot record with the internal id that names its directory, and its parent's id (0 = none). */
record StoredSnapshot(long id, long parentId, SnapshotInfo info, Usage usage) {

    Kind kind() {
        return info.kind();
    }
}
