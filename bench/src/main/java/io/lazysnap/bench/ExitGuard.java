package io.lazysnap.bench;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Closes a resource when the JVM exits with it still open: JMH skips a state's teardown when its setup failed,
 * and a benchmark fork may exit mid-run; namespaces and daemons must not outlive us.
 */
final class ExitGuard {

    private static final Logger LOG = LoggerFactory.getLogger(ExitGuard.class);
    private final Thread hook;

    private ExitGuard(AutoCloseable resource) {
        hook = new Thread(() -> {
            try {
                resource.close();
            } catch (Exception e) {
                LOG.warn("cleanup at exit failed", e);
            }
        }, "lzs-bench-exit-guard");
        Runtime.getRuntime().addShutdownHook(hook);
    }

    static ExitGuard of(AutoCloseable resource) {
        return new ExitGuard(resource);
    }

    /** The resource was closed normally. */
    void release() {
        try {
            Runtime.getRuntime().removeShutdownHook(hook);
        } catch (IllegalStateException exiting) {
            // Already shutting down: the hook is running or has run.
        }
    }
}
