package io.lazysnap.daemon.snapshot;

import io.lazysnap.daemon.root.Root;
import io.lazysnap.daemon.root.TopDirectory;
import java.io.Closeable;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.DirectoryStream;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Clock;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A {@link Snapshotter} that stores each snapshot as a directory and stacks them with overlayfs, like containerd's
 * own overlayfs snapshotter.
 *
 * <p>Layout under the {@link Root}: its metadata (the {@link SnapshotStore}) and, per snapshot, its files
 * ({@link Root#files}: the upper directory while active, a lower directory once committed) with {@code work}
 * (overlayfs' work directory) beside them. A new snapshot's directories are built under a
 * temporary name and renamed to the id inside the metadata transaction, so a crash leaves either a record with
 * its directory or a directory without record, which {@link #cleanup()} removes.
 */
public final class OverlaySnapshotter implements Snapshotter {

    private static final Logger log = LoggerFactory.getLogger(OverlaySnapshotter.class);
    private static final String UNPACK_KEY_PREFIX = "extract-";
    private static final Path OVERLAY_INDEX_PARAMETER = Path.of("/sys/module/overlay/parameters/index");

    private final Root root;
    private final SnapshotStore store;
    private final Clock clock;
    private final boolean indexOff;
    /** Temporary directories of prepares in flight, which cleanup must not take for garbage. */
    private final Set<Path> inFlight = ConcurrentHashMap.newKeySet();
    private final Optional<RemoteLayerProvider> remote;
    private final Optional<LayerUnpacker> unpacker;
    private final PrepareGate gate;
    /** Mounts of remote layers by snapshot id; closing one unmounts the layer. */
    private final Map<Long, Closeable> remoteMounts = new ConcurrentHashMap<>();
    /**
     * Remote layers recorded but not (yet) mounted: being mounted outside the store's lock, or left unmounted (a
     * failed mount or restore, a changed policy's refusal) with the reason. A snapshot made on top of one answers
     * once its mount is done, or fails with that reason, so no overlay ever sees an unmounted lower layer.
     */
    private final Map<Long, CompletableFuture<Void>> mounting = new ConcurrentHashMap<>();

    private OverlaySnapshotter(Root root, SnapshotStore store, Clock clock, Optional<RemoteLayerProvider> remote,
                               Optional<LayerUnpacker> unpacker, PrepareGate gate) {
        this.root = root;
        this.store = store;
        this.clock = clock;
        this.indexOff = Files.exists(OVERLAY_INDEX_PARAMETER);
        this.remote = remote;
        this.unpacker = unpacker;
        this.gate = gate;
    }

    /** Opens (creating if needed) a snapshotter of plain layers only, rooted at {@code root}. */
    public static OverlaySnapshotter open(Root root) throws IOException {
        return open(root, Optional.empty(), Optional.empty(), PrepareGate.OPEN);
    }

    /**
     * Opens (creating if needed) the snapshotter rooted at {@code root}, serving layers through {@code remote} when
     * it can, else unpacking them through {@code unpacker}, and admitting layers through {@code gate}; mounts again
     * every remote layer committed before, so that they are there before any call.
     */
    public static OverlaySnapshotter open(Root root, Optional<RemoteLayerProvider> remote,
                                          Optional<LayerUnpacker> unpacker, PrepareGate gate) throws IOException {
        Files.createDirectories(root.dir());
        Files.setPosixFilePermissions(root.dir(), PosixFilePermissions.fromString("rwx------"));
        Files.createDirectories(root.snapshots());
        TopDirectory.mark(root.snapshots());
        SqliteLibrary.unpackUnder(root.nativeLibraries());
        OverlaySnapshotter snapshotter = new OverlaySnapshotter(root, SnapshotStore.open(root.metadata()),
                Clock.systemUTC(), remote, unpacker, gate);
        remote.ifPresent(snapshotter::restoreRemoteLayers);
        return snapshotter;
    }

    private void restoreRemoteLayers(RemoteLayerProvider provider) {
        List<StoredSnapshot> remoteLayers = store.transaction(tx -> tx.all().stream()
                .filter(s -> s.info().labels().containsKey(LayerLabels.REMOTE)).toList());
        for (StoredSnapshot s : remoteLayers) {
            if (!s.info().labels().getOrDefault(LayerLabels.ADMITTED_BY, PrepareGate.NO_POLICY).equals(gate.policy())
                    && !admittedAgain(s)) {
                continue;
            }
            try {
                remoteMounts.put(s.id(), provider.restore(snapshotDir(s.id())));
            } catch (NoSuchFileException e) {
                // Recorded, then the daemon stopped before the mount saved its state: the Prepare never answered.
                log.warn("remote layer {} was never mounted ({} is missing): removing it", s.info().name(),
                        e.getFile());
                forgetUnmounted(s.id(), e);
            } catch (IOException | RuntimeException e) {
                leaveUnmounted(s.id(), e);
                log.error("cannot restore remote layer {} ({}): containers using it will fail until it is removed"
                        + " and pulled again", s.info().name(), snapshotDir(s.id()), e);
            }
        }
        log.info("restored {} of {} remote layers", remoteMounts.size(), remoteLayers.size());
    }

    /**
     * Whether the signature policy, changed since {@code s} was admitted, lets it in again; records that it did. A
     * refused layer is not served: snapshots on top of it fail to mount, naming why.
     */
    private boolean admittedAgain(StoredSnapshot s) {
        Map<String, String> labels = s.info().labels();
        // The manifest the layer was served from, not whatever its tag names now.
        Optional<String> pinned = Optional.ofNullable(labels.get(LayerLabels.ADMITTED_MANIFEST));
        try {
            gate.admit(labels.get(LayerLabels.TARGET),
                    LayerLabels.from(labels).map(l -> pinned.map(l::withManifestDigest).orElse(l)));
        } catch (RuntimeException refused) {
            log.error("remote layer {} is not served: the signature policy changed since it was pulled and does not"
                    + " admit it now ({}); remove its image and pull it again, or restore the policy", s.info().name(),
                    refused.getMessage());
            leaveUnmounted(s.id(), new IllegalStateException(
                    "the signature policy does not admit it since it changed: " + refused.getMessage()));
            return false;
        }
        Map<String, String> admitted = new HashMap<>(labels);
        admitted.put(LayerLabels.ADMITTED_BY, gate.policy());
        store.transaction(tx -> {
            tx.replaceLabels(s.id(), admitted, clock.instant());
            return null;
        });
        log.info("remote layer {} admitted again by the changed signature policy", s.info().name());
        return true;
    }

    @Override
    public SnapshotInfo stat(String key) {
        return store.read(tx -> require(tx, key)).info();
    }

    @Override
    public SnapshotInfo update(SnapshotInfo info, List<String> fieldPaths) {
        return store.transaction(tx -> {
            StoredSnapshot current = require(tx, info.name());
            Map<String, String> labels = new HashMap<>(current.info().labels());
            if (fieldPaths.isEmpty()) {
                labels = new HashMap<>(info.labels());
            }
            for (String path : fieldPaths) {
                if (path.equals("labels")) {
                    labels = new HashMap<>(info.labels());
                } else if (path.startsWith("labels.")) {
                    String key = path.substring("labels.".length());
                    String value = info.labels().get(key);
                    if (value == null || value.isEmpty()) {
                        labels.remove(key);
                    } else {
                        labels.put(key, value);
                    }
                } else {
                    throw SnapshotException.invalidArgument(
                            "cannot update %s field on snapshot %s: only labels are mutable", path, info.name());
                }
            }
            labels.values().removeIf(String::isEmpty);
            tx.replaceLabels(current.id(), Labels.validate(labels), clock.instant());
            return require(tx, info.name()).info();
        });
    }

    @Override
    public Usage usage(String key) {
        StoredSnapshot s = store.read(tx -> require(tx, key));
        return s.kind() == Kind.COMMITTED ? s.usage() : DiskUsage.of(fsDir(s.id()));
    }

    @Override
    public List<MountSpec> mounts(String key) {
        List<Long> parentIds = new ArrayList<>();
        List<MountSpec> mounts = store.read(tx -> {
            StoredSnapshot s = require(tx, key);
            if (s.kind() == Kind.COMMITTED) {
                throw SnapshotException.failedPrecondition(
                        "snapshot %s is committed: only active snapshots and views have mounts", key);
            }
            parentIds.addAll(tx.parentIds(s.parentId()));
            return mountsOf(s, parentIds);
        });
        awaitMounted(parentIds);
        return mounts;
    }

    @Override
    public List<MountSpec> prepare(String key, String parent, Map<String, String> labels) {
        String target = labels.get(LayerLabels.TARGET);
        Optional<LayerLabels> layer = LayerLabels.from(labels); // the one parse of a Prepare's labels
        if (target != null || isUnpackKey(key)) {
            // Before anything else: a refused layer gets neither a remote mount nor a snapshot to download into.
            layer = gate.admit(target, layer);
        }
        if (target != null && (remote.isPresent() || unpacker.isPresent())) {
            Labels.validate(labels);
            if (store.read(tx -> findTarget(tx, target, parent)).isPresent()) {
                throw SnapshotException.alreadyExists("target snapshot %s already exists", target);
            }
            if (layer.isPresent()) {
                LayerLabels served = layer.get();
                remote.ifPresent(r -> r.ahead(served));
                unpacker.ifPresent(u -> u.ahead(served));
                if (remote.isPresent() && commitRemote(remote.get(), target, parent, labels, served)
                        || unpacker.isPresent() && commitUnpacked(unpacker.get(), target, parent, labels, served)) {
                    throw SnapshotException.alreadyExists("target snapshot %s already exists", target);
                }
            }
        }
        return create(Kind.ACTIVE, key, parent, labels);
    }

    /**
     * Whether {@code key} is containerd's key for unpacking a layer ({@code extract-<random> <chain ID>}, after the
     * {@code <namespace>/<n>/} prefix its metadata store adds): plain {@code ctr image pull} unpacks with that key
     * and no labels at all, and the gate must still see it.
     */
    static boolean isUnpackKey(String key) {
        int slash = key.lastIndexOf('/', key.indexOf(' ') < 0 ? key.length() : key.indexOf(' '));
        return key.startsWith(UNPACK_KEY_PREFIX, slash + 1);
    }

    /**
     * The committed layer that containerd will look for after an ALREADY_EXISTS: same {@code snapshot.ref} label,
     * same parent (containerd's metadata store walks with exactly this filter).
     */
    private static Optional<StoredSnapshot> findTarget(SnapshotStore.Tx tx, String target, String parent)
            throws java.sql.SQLException {
        return tx.withAnyLabel(List.of(new Label(LayerLabels.TARGET, target))).stream()
                .filter(s -> s.kind() == Kind.COMMITTED && s.info().parent().equals(parent)).findFirst();
    }

    /**
     * Mounts the layer that {@code served} names remotely and commits it for {@code target} with {@code labels};
     * false when it must be downloaded instead.
     */
    private boolean commitRemote(RemoteLayerProvider provider, String target, String parent,
                                 Map<String, String> labels, LayerLabels served) {
        long start = System.nanoTime();
        Optional<RemoteLayerProvider.RemoteLayer> layer;
        try {
            layer = provider.open(served);
        } catch (IOException | RuntimeException e) {
            log.warn("layer for {} cannot be served remotely, containerd will download it: {}", target, e.getMessage());
            return false;
        }
        if (layer.isEmpty()) {
            return false;
        }
        Map<String, String> committedLabels = new HashMap<>(labels);
        committedLabels.put(LayerLabels.REMOTE, LayerLabels.REMOTE_VALUE);
        committedLabels.put(LayerLabels.ADMITTED_BY, gate.policy());
        // The pinned manifest: the one whose signature the gate checked, which a changed policy checks again.
        served.manifestDigest().ifPresent(d -> committedLabels.put(LayerLabels.ADMITTED_MANIFEST, d));
        Path staging = stage(Kind.COMMITTED);
        CompletableFuture<Void> done = new CompletableFuture<>();
        long[] created = new long[1];
        boolean recorded = false;
        long opened = System.nanoTime();
        try {
            // Recorded under the store's lock, mounted outside it: a FUSE mount that hangs must not stop every
            // other snapshot call. Registered as mounting before the record is visible to anyone.
            store.transaction(tx -> {
                if (findTarget(tx, target, parent).isPresent()) {
                    throw SnapshotException.alreadyExists("target snapshot %s already exists", target);
                }
                long parentId = committedParent(tx, parent);
                created[0] = tx.insert(committedName(tx, target), parentId, Kind.COMMITTED, committedLabels,
                        clock.instant());
                moveIntoPlace(staging, snapshotDir(created[0]));
                mounting.put(created[0], done);
                return null;
            });
            recorded = true;
            remoteMounts.put(created[0], layer.get().mount(snapshotDir(created[0])));
            done.complete(null);
        } catch (IOException | RuntimeException | LinkageError e) {
            layer.get().discard();
            if (!recorded && e instanceof SnapshotException raced) {
                throw raced; // the target was committed meanwhile: ALREADY_EXISTS, as for any Prepare of it
            }
            // A LinkageError is a FUSE library that went missing since the start-up check.
            log.warn("layer for {} cannot be mounted, containerd will download it: {}", target, e.toString());
            done.completeExceptionally(e);
            if (recorded) {
                forgetUnmounted(created[0], e);
            } else if (created[0] != 0) {
                // Rolled back: the id is not ours any more (another snapshot may get it), only the directory is.
                deleteQuietly(snapshotDir(created[0]));
            }
            return false;
        } finally {
            if (created[0] != 0) {
                mounting.remove(created[0], done);
            }
            inFlight.remove(staging);
            deleteQuietly(staging);
        }
        log.info("layer for {} committed, served remotely", target);
        long mountedAt = System.nanoTime();
        awaitReady(layer.get());
        log.debug("layer for {}: opened in {} us, recorded and mounted in {} us, ready after {} us", target,
                (opened - start) / 1000, (mountedAt - opened) / 1000, (System.nanoTime() - mountedAt) / 1000);
        return true;
    }

    /**
     * Deletes the record of a remote layer that is not mounted (its mount failed, or its state is gone). Nothing can
     * use it yet, but a snapshot may already have been made on top of it; then the layer stays, unmounted, and every
     * snapshot made on it or mounted over it fails with {@code why} instead of seeing an empty layer.
     */
    private void forgetUnmounted(long id, Throwable why) {
        boolean deleted = store.transaction(tx -> {
            if (tx.hasChildren(id)) {
                return false;
            }
            tx.delete(id);
            return true;
        });
        if (deleted) {
            deleteQuietly(snapshotDir(id));
        } else {
            leaveUnmounted(id, why);
            log.error("remote layer snapshot {} is not mounted ({}) and has a child already; remove both, then pull"
                    + " again", id, why.toString());
        }
    }

    /** Makes every snapshot made on remote layer {@code id}, or mounted over it, fail with {@code why}. */
    private void leaveUnmounted(long id, Throwable why) {
        mounting.put(id, CompletableFuture.failedFuture(why));
    }

    /** Waits until the remote layers among {@code ids} that are being mounted are; fails if a mount failed. */
    private void awaitMounted(List<Long> ids) {
        for (long id : ids) {
            CompletableFuture<Void> pending = mounting.get(id);
            if (pending == null) {
                continue;
            }
            try {
                pending.join();
            } catch (CompletionException | CancellationException e) {
                throw SnapshotException.failedPrecondition("parent layer snapshot %d is not mounted: %s", id,
                        e.getCause() == null ? e.toString() : e.getCause().getMessage());
            }
        }
    }

    /**
     * Unpacks the layer that {@code served} names here and commits it for {@code target} with {@code labels}; false
     * when containerd must download it instead.
     */
    private boolean commitUnpacked(LayerUnpacker unpacker, String target, String parent,
                                   Map<String, String> labels, LayerLabels served) {
        long start = System.nanoTime();
        Optional<LayerUnpacker.UnpackedLayer> layer;
        try {
            layer = unpacker.unpack(served);
        } catch (IOException | RuntimeException e) {
            log.warn("layer for {} could not be pulled by lazysnap, containerd will download it: {}", target,
                    e.getMessage());
            return false;
        }
        if (layer.isEmpty()) {
            return false;
        }
        Path staging = stage(Kind.COMMITTED);
        try {
            List<Long> parentIds = store.read(tx -> tx.parentIds(committedParent(tx, parent)));
            // The unpack reads its lower layers (attributes of directories it leaves out): mounted, not empty.
            awaitMounted(parentIds);
            List<Path> lowers = parentIds.stream().map(this::fsDir).toList();
            Path fs = Root.files(staging);
            Files.delete(fs);
            layer.get().moveTo(fs, lowers);
            Usage usage = DiskUsage.of(fs);
            store.transaction(tx -> {
                if (findTarget(tx, target, parent).isPresent()) {
                    return null; // committed meanwhile by another Prepare: theirs is the same layer
                }
                long parentId = committedParent(tx, parent);
                long id = tx.insert("unpacked-" + UUID.randomUUID(), parentId, Kind.ACTIVE, Map.of(), clock.instant());
                tx.commit(id, committedName(tx, target), labels, usage, clock.instant());
                moveIntoPlace(staging, snapshotDir(id));
                return null;
            });
            log.info("layer for {} committed, pulled and unpacked by lazysnap in {} ms", target,
                    (System.nanoTime() - start) / 1_000_000);
            return true;
        } catch (IOException | UncheckedIOException e) {
            log.warn("layer for {} could not be stored after its unpack, containerd will download it: {}", target,
                    e.toString());
            return false;
        } catch (SnapshotException unmountedParent) {
            log.warn("layer for {} is left to containerd: {}", target, unmountedParent.getMessage());
            return false;
        } finally {
            layer.get().discard();
            inFlight.remove(staging);
            deleteQuietly(staging);
        }
    }

    @Override
    public List<MountSpec> view(String key, String parent, Map<String, String> labels) {
        return create(Kind.VIEW, key, parent, labels);
    }

    private List<MountSpec> create(Kind kind, String key, String parent, Map<String, String> labels) {
        if (key.isEmpty()) {
            throw SnapshotException.invalidArgument("snapshot key must not be empty");
        }
        Labels.validate(labels);
        Path staging = stage(kind);
        List<Long> parentIds = new ArrayList<>();
        long[] created = new long[1];
        try {
            List<MountSpec> mounts = store.transaction(tx -> {
                if (tx.find(key).isPresent()) {
                    throw SnapshotException.alreadyExists("snapshot %s already exists", key);
                }
                long parentId = committedParent(tx, parent);
                created[0] = tx.insert(key, parentId, kind, labels, clock.instant());
                moveIntoPlace(staging, snapshotDir(created[0]));
                parentIds.addAll(tx.parentIds(parentId));
                return mountsOf(tx.find(key).orElseThrow(), parentIds);
            });
            try {
                awaitMounted(parentIds);
            } catch (SnapshotException unmountedParent) {
                store.transaction(tx -> {
                    tx.delete(created[0]);
                    return null;
                });
                deleteQuietly(snapshotDir(created[0]));
                throw unmountedParent;
            }
            return mounts;
        } finally {
            inFlight.remove(staging);
            deleteQuietly(staging);
        }
    }

    /**
     * The name a layer committed here for {@code target} gets. It is free-form: containerd finds the layer by label
     * and parent, and the same chain ID may sit on another parent snapshot (e.g. a layer below it was downloaded in
     * another namespace).
     */
    private static String committedName(SnapshotStore.Tx tx, String target) throws java.sql.SQLException {
        return tx.find(target).isPresent() ? target + "@" + UUID.randomUUID() : target;
    }

    /** The id of committed snapshot {@code parent}, or 0 for none. */
    private static long committedParent(SnapshotStore.Tx tx, String parent) throws java.sql.SQLException {
        if (parent.isEmpty()) {
            return 0;
        }
        StoredSnapshot p = tx.find(parent).orElseThrow(() -> SnapshotException.notFound(
                "parent snapshot %s does not exist", parent));
        if (p.kind() != Kind.COMMITTED) {
            throw SnapshotException.invalidArgument(
                    "parent %s is not a committed snapshot (it is %s)", parent, p.kind().filterName());
        }
        return p.id();
    }

    /** Builds a new snapshot's directories under a temporary name. */
    private Path stage(Kind kind) {
        Path staging = root.snapshots().resolve("new-" + UUID.randomUUID());
        inFlight.add(staging);
        try {
            Files.createDirectory(staging, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
            Path fs = Files.createDirectory(Root.files(staging));
            // containerd's testsuite (RootPermission) expects a fresh root to be 0755 whatever the umask.
            Files.setPosixFilePermissions(fs, PosixFilePermissions.fromString("rwxr-xr-x"));
            if (kind == Kind.ACTIVE) {
                Files.createDirectory(staging.resolve("work"));
            }
            return staging;
        } catch (IOException e) {
            inFlight.remove(staging);
            deleteQuietly(staging);
            throw new UncheckedIOException("creating snapshot directory under " + root.snapshots(), e);
        }
    }

    private static void moveIntoPlace(Path staging, Path target) throws IOException {
        if (Files.exists(target)) {
            // An id is only reused after a rolled-back insert, so whatever sits here has no record.
            log.warn("removing orphaned snapshot directory {}", target);
            FileTree.delete(target);
        }
        try {
            Files.move(staging, target, StandardCopyOption.ATOMIC_MOVE);
        } catch (FileAlreadyExistsException e) {
            throw new IOException("snapshot directory " + target + " appeared concurrently", e);
        }
    }

    @Override
    public void commit(String name, String key, Map<String, String> labels) {
        Labels.validate(labels);
        StoredSnapshot active = store.transaction(tx -> require(tx, key));
        if (active.kind() != Kind.ACTIVE) {
            throw SnapshotException.failedPrecondition(
                    "snapshot %s is %s: only active snapshots can be committed", key, active.kind().filterName());
        }
        Usage usage = DiskUsage.of(fsDir(active.id()));
        store.transaction(tx -> {
            StoredSnapshot current = require(tx, key);
            if (current.id() != active.id() || current.kind() != Kind.ACTIVE) {
                throw SnapshotException.failedPrecondition("snapshot %s changed while being committed", key);
            }
            if (tx.find(name).isPresent()) {
                throw SnapshotException.alreadyExists("snapshot %s already exists", name);
            }
            tx.commit(current.id(), name, labels, usage, clock.instant());
            return null;
        });
        deleteQuietly(snapshotDir(active.id()).resolve("work"));
    }

    private static void awaitReady(RemoteLayerProvider.RemoteLayer layer) {
        try {
            layer.awaitReady();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt(); // the layer is committed: answer at once
        }
    }

    @Override
    public void remove(String key) {
        store.read(tx -> tx.find(key)).ifPresent(s -> {
            try {
                awaitMounted(List.of(s.id())); // then it is unmounted below, not mounted after its removal
            } catch (SnapshotException mountFailed) {
                // Its record is gone with the failed mount, or stays without a mount: either way removable.
            }
        });
        StoredSnapshot removed = store.transaction(tx -> {
            StoredSnapshot s = require(tx, key);
            if (tx.hasChildren(s.id())) {
                throw SnapshotException.failedPrecondition(
                        "cannot remove snapshot %s: it is the parent of other snapshots; remove them first", key);
            }
            tx.delete(s.id());
            return s;
        });
        mounting.remove(removed.id());
        closeQuietly(remoteMounts.remove(removed.id()));
        if (LayerLabels.REMOTE_VALUE.equals(removed.info().labels().get(LayerLabels.REMOTE)) && remote.isPresent()) {
            try {
                remote.get().removed(snapshotDir(removed.id()));
            } catch (IOException | RuntimeException e) {
                log.warn("removed remote layer {}: cannot drop its cached data: {}", key, e.toString());
            }
        }
        deleteQuietly(snapshotDir(removed.id()));
    }

    @Override
    public void walk(InfoFilter filter, Consumer<SnapshotInfo> visitor) {
        // Collect first and visit outside the transaction, so a visitor may call back into the snapshotter.
        List<SnapshotInfo> candidates = new ArrayList<>();
        store.read(tx -> {
            Optional<List<Label>> labels = filter.candidateLabels();
            (labels.isPresent() ? tx.withAnyLabel(labels.get()) : tx.all()).forEach(s -> candidates.add(s.info()));
            return null;
        });
        candidates.stream().filter(filter).forEach(visitor);
    }

    @Override
    public Census census() {
        return store.read(SnapshotStore.Tx::census);
    }

    @Override
    public void cleanup() {
        List<Path> listed = new ArrayList<>();
        try (DirectoryStream<Path> entries = Files.newDirectoryStream(root.snapshots())) {
            entries.forEach(listed::add);
        } catch (IOException e) {
            throw new UncheckedIOException("listing " + root.snapshots(), e);
        }
        // Decided under the store's lock, after listing: a directory a Prepare or Commit moved into place since (its
        // transaction still open, or committed just now) is either in flight or known. Ids are never reused, so a
        // directory found unknown here stays unknown.
        List<Path> orphans = store.transaction(tx -> {
            Set<String> known = new HashSet<>();
            tx.all().forEach(s -> known.add(Long.toString(s.id())));
            return listed.stream().filter(p -> !known.contains(p.getFileName().toString()) && !inFlight.contains(p))
                    .toList();
        });
        for (Path orphan : orphans) {
            log.info("cleanup: removing {}, which no snapshot refers to", orphan);
            deleteQuietly(orphan);
        }
    }

    /** Unmounts remote layers (they are mounted again by the next {@link #open}) and closes the store. */
    @Override
    public void close() {
        remoteMounts.values().forEach(OverlaySnapshotter::closeQuietly);
        remoteMounts.clear();
        store.close();
    }

    private List<MountSpec> mountsOf(StoredSnapshot s, List<Long> parentIds) {
        String ro = s.kind() == Kind.VIEW ? "ro" : "rw";
        if (parentIds.isEmpty()) {
            return List.of(new MountSpec("bind", fsDir(s.id()).toString(), List.of(ro, "rbind")));
        }
        if (s.kind() == Kind.VIEW && parentIds.size() == 1) {
            return List.of(new MountSpec("bind", fsDir(parentIds.get(0)).toString(), List.of("ro", "rbind")));
        }
        List<String> options = new ArrayList<>();
        if (indexOff) {
            // Without index=off, overlayfs refuses lower layers shared by several mounts on some kernels.
            options.add("index=off");
        }
        if (s.kind() == Kind.ACTIVE) {
            options.add("workdir=" + snapshotDir(s.id()).resolve("work"));
            options.add("upperdir=" + fsDir(s.id()));
        }
        List<String> lowers = parentIds.stream().map(id -> fsDir(id).toString()).toList();
        options.add("lowerdir=" + String.join(":", lowers));
        return List.of(new MountSpec("overlay", "overlay", options));
    }

    private static StoredSnapshot require(SnapshotStore.Tx tx, String key) throws java.sql.SQLException {
        return tx.find(key).orElseThrow(() -> SnapshotException.notFound("snapshot %s does not exist", key));
    }

    private Path snapshotDir(long id) {
        return root.snapshot(id);
    }

    private Path fsDir(long id) {
        return Root.files(snapshotDir(id));
    }

    private static void closeQuietly(Closeable c) {
        if (c == null) {
            return;
        }
        try {
            c.close();
        } catch (IOException | RuntimeException e) {
            log.warn("could not unmount remote layer: {}", e.toString());
        }
    }

    private static void deleteQuietly(Path path) {
        try {
            FileTree.delete(path);
        } catch (IOException e) {
            log.warn("could not delete {} ({}); cleanup will retry", path, e.toString());
        }
    }
}
