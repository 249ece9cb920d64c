package io.lazysnap.registry;

import java.util.List;

/**
 * What a registry request is for, carried as an OkHttp request tag so each interceptor can decide without
 * parsing URLs: which namespace and capability pick the hosts, which scopes the token needs, whether a retry is
 * safe, what the body must be, and the deadline every retry and fallback shares.
 *
 * @param what           names the object for logs and errors, e.g. {@code blob sha256:... in library/alpine}
 * @param rangeOffset    first byte of a range read, or -1 for the whole object; a range's body is read by the
 *                       caller (into a buffer or file of its own): only the answer's status and Content-Range are
 *                       checked on the way
 * @param rangeLength    length of a range read
 * @param expectedDigest digest the whole body must have, or null (ranges and tag lookups)
 * @param maxBody        the largest body accepted into memory
 * @param deadlineNanos  {@link System#nanoTime()} after which nothing more is tried
 */
record RequestSpec(String namespace, Capability capability, List<String> scopes, String what,
                   long rangeOffset, int rangeLength, String expectedDigest, long maxBody, boolean idempotent,
                   long deadlineNanos) {

    boolean isRange() {
        return rangeOffset >= 0;
    }

    long remainingNanos() {
        return deadlineNanos - System.nanoTime();
    }
}
