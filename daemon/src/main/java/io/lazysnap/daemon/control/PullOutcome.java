package io.lazysnap.daemon.control;

import java.io.IOException;

/**
 * The last line of a pull's answer on the control socket: {@code NUL "pulled " image} or {@code NUL "error " reason}.
 * Everything before it is the pull's console output, rendered by the daemon, which a client copies to its own
 * standard output as it comes; NUL never occurs in console text, so the outcome cannot be confused with it.
 */
public final class PullOutcome {

    static final char MARK = '\0';
    private static final String PULLED = "pulled ";
    private static final String ERROR = "error ";

    private PullOutcome() {
    }

    static String pulled(String image) {
        return MARK + PULLED + image;
    }

    /** An error line; the reason on one line. */
    static String error(String reason) {
        return MARK + ERROR + reason.replace('\n', ' ').replace('\r', ' ').replace(MARK, ' ');
    }

    public static boolean isOutcome(String line) {
        return !line.isEmpty() && line.charAt(0) == MARK;
    }

    /**
     * The image name of a pulled line.
     *
     * @throws IOException with the daemon's reason for an error line, or saying the line is not an outcome
     */
    public static String image(String line) throws IOException {
        String body = isOutcome(line) ? line.substring(1) : "";
        if (body.startsWith(PULLED)) {
            return body.substring(PULLED.length());
        }
        if (body.startsWith(ERROR)) {
            throw new IOException(body.substring(ERROR.length()));
        }
        throw new IOException("the daemon answered a line this client does not know: " + line.replace(MARK, '^')
                + " (is lazysnap older than its daemon?)");
    }
}
