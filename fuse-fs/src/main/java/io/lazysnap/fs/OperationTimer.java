package io.lazysnap.fs;

/**
 * Told how long each FUSE operation of a mounted layer took ({@code getattr}, which is also the lookup,
 * {@code readdir}, {@code open}, {@code read}, {@code getxattr}, …), errors included. Called on libfuse's threads for
 * every operation: implementations must be quick and must not throw.
 */
@FunctionalInterface
public interface OperationTimer {

    OperationTimer NONE = (operation, nanos) -> { };

    void completed(String operation, long nanos);
}
