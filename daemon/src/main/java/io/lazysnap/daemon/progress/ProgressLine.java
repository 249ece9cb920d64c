package io.lazysnap.daemon.progress;

/** Renders one task as a fixed-width text line: name, status, a bar and byte counts. Pure, for testing. */
final class ProgressLine {

    static final int NAME_WIDTH = 19;
    static final int STATUS_WIDTH = 12;
    private static final int BAR_WIDTH = 30;
    private static final String[] UNITS = {"KiB", "MiB", "GiB", "TiB"};

    private ProgressLine() {
    }

    /**
     * @param total bytes expected, or 0 or less when unknown (no bar is drawn then)
     */
    static String render(String name, String status, long done, long total) {
        StringBuilder line = new StringBuilder()
                .append(fit(name, NAME_WIDTH)).append(' ')
                .append(fit(status, STATUS_WIDTH)).append(' ');
        if (total > 0) {
            long clamped = Math.max(0, Math.min(done, total));
            int filled = (int) (clamped * BAR_WIDTH / total);
            line.append('[').append("=".repeat(filled));
            if (filled < BAR_WIDTH) {
                line.append('>').append(" ".repeat(BAR_WIDTH - filled - 1));
            }
            line.append("] ").append(bytes(clamped)).append(" / ").append(bytes(total));
        } else if (done > 0) {
            line.append(bytes(done));
        }
        return line.toString().stripTrailing();
    }

    /** The line for logs and pipes: name, status and the size of the work, no bar. */
    static String plain(String name, String status, long total) {
        String line = fit(name, NAME_WIDTH) + ' ' + fit(status, STATUS_WIDTH);
        return (total > 0 ? line + ' ' + bytes(total) : line).stripTrailing();
    }

    /**
     * Binary units with one decimal above a KiB, rounded half up, in the unit the rounded value is under 1024 of:
     * what people compare with {@code du -h}. Plain arithmetic rather than a formatter: a pull prints these on its
     * containers' start-up path, and the first decimal format of a JVM loads and runs its floating-point machinery.
     */
    static String bytes(long n) {
        if (n < 1024) {
            return n + " B";
        }
        int unit = 0;
        long tenths = tenths(n, unit);
        while (tenths >= 10240 && unit < UNITS.length - 1) {
            tenths = tenths(n, ++unit);
        }
        return tenths / 10 + "." + tenths % 10 + " " + UNITS[unit];
    }

    private static long tenths(long n, int unit) {
        return Math.round(n * 10.0 / (1L << (10 * (unit + 1))));
    }

    /** Pads or cuts {@code text} to exactly {@code width} characters; a cut ends in an ellipsis. */
    static String fit(String text, int width) {
        if (text.length() <= width) {
            return text + " ".repeat(width - text.length());
        }
        return text.substring(0, width - 1) + "…";
    }
}
