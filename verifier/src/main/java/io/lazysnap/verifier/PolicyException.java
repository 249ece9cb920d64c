package io.lazysnap.verifier;

/**
 * A policy that cannot be used. The message names the file, the line and what is wrong, e.g.
 * {@code /etc/lazysnap/policy.toml:12: rule 2: mode 'enforcing' is not one of enforce, warn, skip}.
 */
public final class PolicyException extends Exception {

    private final String source;
    private final int line;

    PolicyException(String source, int line, String reason, Throwable cause) {
        super(source + (line > 0 ? ":" + line : "") + ": " + reason, cause);
        this.source = source;
        this.line = line;
    }

    /** The policy file (or the name given to {@link Policy#parse}). */
    public String source() {
        return source;
    }

    /** The 1-based line the problem is on, or 0 if it concerns the whole file. */
    public int line() {
        return line;
    }
}
