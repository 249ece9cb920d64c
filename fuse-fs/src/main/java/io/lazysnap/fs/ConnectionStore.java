package io.lazysnap.fs;

import java.io.Closeable;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Keeps every mount's FUSE connection (its /dev/fuse descriptor) alive outside this process, so that a mount
 * outlives a restart, a crash or an upgrade of the daemon: the next process takes the connection back and serves
 * the same mount, while containers keep their files open. Two keepers: systemd's file descriptor store when
 * systemd runs the daemon ({@code FDSTORE=1}, given back in {@code LISTEN_FDS}), otherwise a
 * {@code lazysnap-fdkeeper} process that only holds a socket the descriptors are queued on.
 *
 * <p>Connections are named by their mount point and by the inode numbering they were served with
 * ({@link #SCHEME}): a process numbering inodes differently refuses a connection rather than serving wrong files.
 */
public abstract class ConnectionStore implements Closeable {

    private static final Logger LOG = LoggerFactory.getLogger(ConnectionStore.class);
    /** The inode numbering of {@link InodeTable}: change it when the numbering changes. */
    static final String SCHEME = "lzs1";

    /** Where connections are kept. */
    public enum Mode {
        /** systemd's store under systemd (NOTIFY_SOCKET set), otherwise a keeper process. */
        AUTO,
        SYSTEMD,
        KEEPER,
        /** Not kept: mounts end with the process. */
        OFF;

        public static Mode parse(String s) {
            try {
                return valueOf(s.trim().toUpperCase(Locale.ROOT));
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException("handover mode \"" + s + "\" is none of auto, systemd, keeper, off");
            }
        }
    }

    /** Connections handed over by an earlier process and not claimed yet, by mount point. */
    private final Map<Path, Integer> recovered = new LinkedHashMap<>();
    private final List<Path> adopted = new ArrayList<>();
    private final AtomicLong handOvers = new AtomicLong();

    /**
     * Opens the store for {@code mode}, taking back what an earlier daemon left in it.
     *
     * @param keeperDir  where a keeper process keeps its socket and state (one directory per daemon root)
     * @param orphanWait how long a keeper process holds the connections once no daemon owns them (systemd's store
     *                   keeps them while a restart of the service is pending, and drops them when it stops)
     * @return empty for {@link Mode#OFF}
     * @throws IOException if the store cannot be reached (then mounts would not survive: the caller decides)
     */
    public static Optional<ConnectionStore> open(Mode mode, Path keeperDir, Duration orphanWait) throws IOException {
        Mode m = mode == Mode.AUTO ? (System.getenv("NOTIFY_SOCKET") != null ? Mode.SYSTEMD : Mode.KEEPER) : mode;
        if (m == Mode.OFF) {
            return Optional.empty();
        }
        ConnectionStore store = m == Mode.SYSTEMD ? SystemdFdStore.open(System.getenv())
                : FdKeeper.open(keeperDir, orphanWait);
        if (!store.recovered.isEmpty()) {
            LOG.info("{} FUSE connection(s) handed over by the previous daemon ({})", store.recovered.size(),
                    store.describe());
        }
        return Optional.of(store);
    }

    /** How connections are kept, for log lines and {@code doctor}: {@code systemd}, {@code keeper pid N}, off. */
    public abstract String describe();

    /** Puts {@code fd} in the store under {@code name}. */
    abstract void store(String name, int fd) throws IOException;

    /** Takes {@code name} out of the store. */
    abstract void unstore(String name) throws IOException;

    /** A connection found in the store when it was opened: adds it to the ones to hand to the mounts. */
    final void recovered(String name, int fd) {
        Path mp = mountpointOf(name);
        if (mp == null) {
            LOG.warn("dropping a stored FUSE connection named \"{}\": not one this build can serve", name);
            Syscalls.closeQuietly(fd);
            return;
        }
        Integer old = recovered.put(mp, fd);
        if (old != null) {
            Syscalls.closeQuietly(old);
        }
    }

    /** The connection an earlier process handed over for {@code mountpoint}, claimed by the caller. */
    final synchronized OptionalInt take(Path mountpoint) {
        Integer fd = recovered.remove(mountpoint);
        if (fd == null) {
            return OptionalInt.empty();
        }
        adopted.add(mountpoint);
        handOvers.incrementAndGet();
        return OptionalInt.of(fd);
    }

    /** Keeps {@code fd}, the connection of the mount at {@code mountpoint}, for the next process. */
    final synchronized void keep(Path mountpoint, int fd) {
        try {
            store(nameOf(mountpoint), fd);
        } catch (IOException e) {
            LOG.warn("the FUSE connection of {} is not kept ({}): the mount will end with this process",
                    mountpoint, e.getMessage());
        }
    }

    /** Forgets the connection of an unmounted mount. */
    final synchronized void drop(Path mountpoint) {
        adopted.remove(mountpoint);
        try {
            unstore(nameOf(mountpoint));
        } catch (IOException e) {
            LOG.warn("cannot take the FUSE connection of {} out of the store: {}", mountpoint, e.getMessage());
        }
    }

    /** Mount points served from connections handed over by an earlier process. */
    public final synchronized List<Path> adopted() {
        return List.copyOf(adopted);
    }

    /** Connections taken over from an earlier process since this one started. */
    public final long handOvers() {
        return handOvers.get();
    }

    /**
     * Ends the handed-over connections no mount claimed (their snapshots are gone): detaches their mounts and takes
     * them out of the store.
     */
    public final synchronized void discardUnclaimed() {
        for (Map.Entry<Path, Integer> e : Collections.unmodifiableMap(new LinkedHashMap<>(recovered)).entrySet()) {
            LOG.info("detaching {}: handed over, but no snapshot of this daemon uses it", e.getKey());
            Syscalls.C.umount2(Syscalls.cString(e.getKey().toString()), Syscalls.MNT_DETACH);
            Syscalls.closeQuietly(e.getValue());
            try {
                unstore(nameOf(e.getKey()));
            } catch (IOException ex) {
                LOG.warn("cannot take the FUSE connection of {} out of the store: {}", e.getKey(), ex.getMessage());
            }
        }
        recovered.clear();
    }

    /** Closes this process's side only: what is stored stays for the next process. */
    @Override
    public void close() {
    }

    /** A store name: printable ASCII without ':' (systemd's rule for FDNAME), at most 255 characters. */
    static String nameOf(Path mountpoint) {
        String name = SCHEME + mountpoint.toAbsolutePath().normalize();
        if (name.length() > 255 || !name.chars().allMatch(c -> c >= 0x20 && c < 0x7f && c != ':')) {
            throw new IllegalArgumentException("mount point " + mountpoint
                    + " cannot name a stored connection: use a state directory path of printable ASCII without ':'");
        }
        return name;
    }

    /** The mount point a store name stands for, or null for names of other numberings. */
    static Path mountpointOf(String name) {
        return name.startsWith(SCHEME + "/") ? Path.of(name.substring(SCHEME.length())) : null;
    }
}
