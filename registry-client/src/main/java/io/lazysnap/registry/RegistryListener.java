package io.lazysnap.registry;

/**
 * Hooks for metrics: called on the thread that does the work, so implementations must be quick and must not
 * throw. Hosts are {@code host[:port]}; nothing passed here carries credentials or signed URLs.
 */
public interface RegistryListener {

    /** One HTTP exchange finished with a status (status 0: it failed without one). */
    default void exchanged(String host, String method, int status, long nanos) {
    }

    /** Body bytes arrived from a host (reported as they are read, in pieces; redirected blob storage included). */
    default void received(String host, long bytes) {
    }

    /** A request is about to be retried after a transient failure. */
    default void retrying(String host, String what, int attempt, String cause) {
    }

    /** A host (usually a mirror) failed and the next configured host is tried. */
    default void fellBack(String host, String what, String cause) {
    }
}
