package io.lazysnap.bench;

/**
 * The network between registry and node for one run: bandwidth (registry to node), round-trip time and whether the
 * registry speaks HTTPS. Written {@code 100mbit-20ms} or {@code 1gbit-2ms-https}, as in JMH parameters and result
 * tables.
 */
record Link(int megabitsPerSecond, int rttMillis, boolean https) {

    static Link parse(String spec) {
        String[] parts = spec.toLowerCase().split("-");
        boolean https = parts.length == 3 && parts[2].equals("https");
        if (parts.length != (https ? 3 : 2) || !parts[1].endsWith("ms") || !parts[0].matches("\\d+(mbit|gbit)")) {
            throw new IllegalArgumentException("link must look like 100mbit-20ms, 1gbit-2ms or 1gbit-2ms-https, not "
                    + spec);
        }
        int rate = Integer.parseInt(parts[0].replaceAll("\\D", ""));
        return new Link(parts[0].endsWith("gbit") ? rate * 1000 : rate,
                Integer.parseInt(parts[1].substring(0, parts[1].length() - 2)), https);
    }

    long bytesPerSecond() {
        return megabitsPerSecond * 1_000_000L / 8;
    }

    @Override
    public String toString() {
        return (megabitsPerSecond % 1000 == 0 ? megabitsPerSecond / 1000 + "gbit" : megabitsPerSecond + "mbit")
                + "-" + rttMillis + "ms" + (https ? "-https" : "");
    }
}
