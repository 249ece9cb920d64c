package io.lazysnap.cli.inspect;

/** One finding of {@code lazysnap doctor}: what was checked, how it went, and how to fix it when it did not. */
record Check(String subject, Status status, String detail, String fix) {

    enum Status { OK, WARN, FAIL }

    static Check ok(String subject, String detail) {
        return new Check(subject, Status.OK, detail, "");
    }

    static Check warn(String subject, String detail, String fix) {
        return new Check(subject, Status.WARN, detail, fix);
    }

    static Check fail(String subject, String detail, String fix) {
        return new Check(subject, Status.FAIL, detail, fix);
    }

    @Override
    public String toString() {
        String line = String.format("[%-4s] %s: %s", status, subject, detail);
        return fix.isEmpty() ? line : line + System.lineSeparator() + "       fix: " + fix;
    }
}
