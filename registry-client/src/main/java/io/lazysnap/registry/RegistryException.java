package io.lazysnap.registry;

import java.io.IOException;

/**
 * A registry operation failed for good: after retries and mirror fallback. The message names the host, the
 * object and the cause, and never a credential or a signed URL.
 */
public final class RegistryException extends IOException {

    private final int status;

    RegistryException(String message, int status, Throwable cause) {
        super(message, cause);
        this.status = status;
    }

    RegistryException(String message, int status) {
        this(message, status, null);
    }

    /** The last HTTP status, or 0 if the failure was not an HTTP answer (connection, digest, deadline). */
    public int status() {
        return status;
    }

    /** True when the registry said the object does not exist. */
    public boolean isNotFound() {
        return status == 404;
    }
}
