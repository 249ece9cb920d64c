package io.lazysnap.daemon.snapshot;

/** A label with its value, as a snapshot carries it. */
record Label(String key, String value) {
}
