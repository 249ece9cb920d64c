package io.lazysnap.daemon.snapshot;

/**
 * A refused snapshot operation. The {@link Reason} is what containerd's errdefs reads from the gRPC status code,
 * so pick it by what the caller did wrong, not by what failed internally.
 */
public final class SnapshotException extends RuntimeException {

    /** Mirrors containerd's errdefs classes that snapshotters return. */
    public enum Reason { NOT_FOUND, ALREADY_EXISTS, FAILED_PRECONDITION, INVALID_ARGUMENT }

    private final Reason reason;

    private SnapshotException(Reason reason, String message) {
        super(message);
        this.reason = reason;
    }

    public Reason reason() {
        return reason;
    }

    public static SnapshotException notFound(String format, Object... args) {
        return new SnapshotException(Reason.NOT_FOUND, String.format(format, args));
    }

    public static SnapshotException alreadyExists(String format, Object... args) {
        return new SnapshotException(Reason.ALREADY_EXISTS, String.format(format, args));
    }

    public static SnapshotException failedPrecondition(String format, Object... args) {
        return new SnapshotException(Reason.FAILED_PRECONDITION, String.format(format, args));
    }

    public static SnapshotException invalidArgument(String format, Object... args) {
        return new SnapshotException(Reason.INVALID_ARGUMENT, String.format(format, args));
    }
}
