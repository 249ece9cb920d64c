package io.lazysnap.daemon.snapshot;

import java.io.Closeable;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;

/**
 * Layered filesystems for containers, with containerd's snapshotter contract.
 *
 * <p><b>Names.</b> Every snapshot has one name, unique among all snapshots of this snapshotter. While a snapshot
 * is {@link Kind#ACTIVE active} or a {@link Kind#VIEW view}, containerd calls its name the <i>key</i>; committing
 * gives the same content a new name and the key disappears. A {@code parent} is always the name of a
 * {@link Kind#COMMITTED committed} snapshot; the empty string means "no parent".
 *
 * <p><b>Lifecycle.</b>
 * <ol>
 *   <li>{@link #prepare} creates an active snapshot on top of {@code parent}: a writable tree that starts with
 *       the parent chain's content. The caller mounts the returned mounts, changes files, unmounts.</li>
 *   <li>{@link #commit} turns the active snapshot {@code key} into the committed snapshot {@code name}, which is
 *       immutable from then on and may be the parent of other snapshots.</li>
 *   <li>{@link #view} creates a read-only snapshot of {@code parent}; it can be removed but never committed.</li>
 *   <li>{@link #remove} deletes any snapshot that is not the parent of another one.</li>
 * </ol>
 *
 * <p><b>Mounts.</b> The snapshotter never mounts anything a caller asked for; it describes mounts
 * ({@link MountSpec}) and containerd performs them. A snapshot without parent is a bind mount of its own
 * directory; with parents it is an overlay whose lower directories are the parent chain, newest first. A view of
 * a single committed layer is a read-only bind mount of that layer.
 *
 * <p><b>Errors.</b> Calls fail with {@link SnapshotException}: {@code NOT_FOUND} for an unknown key, name or
 * parent, {@code ALREADY_EXISTS} for a name already taken, {@code FAILED_PRECONDITION} when the snapshot is in
 * the wrong state (committing a view, removing a parent), {@code INVALID_ARGUMENT} for malformed input (labels
 * over 4096 bytes, a parent that is not committed, an immutable field in an update).
 *
 * <p><b>Labels.</b> Free-form metadata that containerd uses for garbage collection and for the remote-snapshot
 * protocol. Each key plus value is at most 4096 bytes. Labels are the only mutable part of a snapshot's info.
 *
 * <p>Implementations are safe for concurrent use. {@link #close()} may be called more than once.
 */
public interface Snapshotter extends Closeable {

    /** Describes snapshot {@code key}. */
    SnapshotInfo stat(String key);

    /**
     * Replaces labels of snapshot {@code info.name()}. With no field paths all labels are replaced by
     * {@code info.labels()}; {@code "labels"} does the same; {@code "labels.<k>"} sets (or, if absent from
     * {@code info}, deletes) one label. Any other path is an {@code INVALID_ARGUMENT}: nothing else is mutable.
     *
     * @return the stored info after the update
     */
    SnapshotInfo update(SnapshotInfo info, List<String> fieldPaths);

    /** Disk usage of the snapshot's own layer (not its parents). Committed snapshots report what commit measured. */
    Usage usage(String key);

    /** The mounts that assemble active or view snapshot {@code key}. */
    List<MountSpec> mounts(String key);

    /** Creates active snapshot {@code key} on top of committed {@code parent} (or empty) and returns its mounts. */
    List<MountSpec> prepare(String key, String parent, Map<String, String> labels);

    /** Creates read-only snapshot {@code key} of committed {@code parent} (or empty) and returns its mounts. */
    List<MountSpec> view(String key, String parent, Map<String, String> labels);

    /**
     * Commits active snapshot {@code key} as {@code name} with {@code labels}; the key ceases to exist. The
     * caller must have unmounted it: its content is frozen from here on.
     */
    void commit(String name, String key, Map<String, String> labels);

    /** Removes snapshot {@code key}; refused while another snapshot has it as parent. */
    void remove(String key);

    /** Calls {@code visitor} for every snapshot that {@code filter} accepts, in no particular order. */
    void walk(InfoFilter filter, Consumer<SnapshotInfo> visitor);

    /** The snapshots by kind, and what the committed ones measured, without reading each snapshot. */
    Census census();

    /** Deletes on-disk data that no snapshot record refers to (left by crashes or busy removals). */
    void cleanup();

    @Override
    void close();
}
