package io.lazysnap.verifier;

/** One signature (or signature source) does not count, and why. The message is shown to operators. */
final class Rejected extends Exception {

    Rejected(String reason) {
        super(reason, null, false, false);
    }

    Rejected(String reason, Throwable cause) {
        super(reason, cause, false, false);
    }
}
