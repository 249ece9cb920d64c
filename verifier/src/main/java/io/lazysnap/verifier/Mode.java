package io.lazysnap.verifier;

/** What a policy rule does with the images it matches. */
public enum Mode {
    /** The image must verify; anything else refuses it. */
    ENFORCE,
    /** The image is verified, but a failure is only logged: it proceeds. For rolling a policy out. */
    WARN,
    /** No verification and no network: the image proceeds. */
    SKIP
}
