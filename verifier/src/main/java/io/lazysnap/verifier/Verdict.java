package io.lazysnap.verifier;

import java.time.Instant;
import java.util.Objects;

/**
 * The policy's answer for one image manifest: whether it may be mounted or unpacked, which rule decided, and why.
 * Immutable.
 */
public final class Verdict {

    /** How the verdict was reached. */
    public enum Outcome {
        /** A signature accepted by the rule names this manifest. */
        VERIFIED,
        /** The rule skips verification. */
        SKIPPED,
        /** Verification failed, but the rule only warns: the image proceeds. */
        WARNED,
        /** Verification failed under an enforcing rule: the image must not be mounted or unpacked. */
        REFUSED
    }

    private final String image;
    private final String manifestDigest;
    private final String rule;
    private final Outcome outcome;
    private final String reason;
    private final Instant decidedAt;

    Verdict(String image, String manifestDigest, String rule, Outcome outcome, String reason, Instant decidedAt) {
        this.image = Objects.requireNonNull(image);
        this.manifestDigest = Objects.requireNonNull(manifestDigest);
        this.rule = Objects.requireNonNull(rule);
        this.outcome = Objects.requireNonNull(outcome);
        this.reason = Objects.requireNonNull(reason);
        this.decidedAt = Objects.requireNonNull(decidedAt);
    }

    /** True unless the verdict is {@link Outcome#REFUSED}. */
    public boolean allowed() {
        return outcome != Outcome.REFUSED;
    }

    public Outcome outcome() {
        return outcome;
    }

    /** The image reference as it was asked about. */
    public String image() {
        return image;
    }

    public String manifestDigest() {
        return manifestDigest;
    }

    /** The rule that decided, e.g. {@code rule 2 [registry.example.com/team/**]} or {@code default rule}. */
    public String rule() {
        return rule;
    }

    /** Why: who signed it, or what was wrong with each signature found. */
    public String reason() {
        return reason;
    }

    /** When the verdict was reached (not when it was last read from the cache). */
    public Instant decidedAt() {
        return decidedAt;
    }

    /** One line for logs and gRPC errors: outcome, image, digest, rule and reason. */
    @Override
    public String toString() {
        return "image " + image + " (" + manifestDigest + ") " + outcome.name().toLowerCase(java.util.Locale.ROOT)
                + " by " + rule + ": " + reason;
    }
}
