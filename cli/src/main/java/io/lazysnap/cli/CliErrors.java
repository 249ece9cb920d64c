package io.lazysnap.cli;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** How client commands fail: one line naming the cause on stderr, the stack trace only at debug level. */
final class CliErrors {

    private static final Logger log = LoggerFactory.getLogger(CliErrors.class);

    private CliErrors() {
    }

    /** Prints {@code lazysnap <command>: <message>} and returns the exit code 1. */
    static int report(String command, Exception e) {
        System.err.println("lazysnap " + command + ": " + e.getMessage());
        log.debug("lazysnap {} failed", command, e);
        return 1;
    }
}
