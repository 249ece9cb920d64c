package io.lazysnap.daemon.snapshot;

import java.util.Locale;

/** The three states a snapshot can be in; see {@link Snapshotter} for what each allows. */
public enum Kind {
    /** Read-only; created by {@link Snapshotter#view}; never committed. */
    VIEW,
    /** Writable; created by {@link Snapshotter#prepare}; may become {@link #COMMITTED}. */
    ACTIVE,
    /** Immutable; the only kind that can be a parent. */
    COMMITTED;

    /** The lower-case name containerd uses in filters ({@code kind==active}). */
    public String filterName() {
        return name().toLowerCase(Locale.ROOT);
    }
}
