package io.lazysnap.bench;

/**
 * A benchmark image by name. Synthetic ones are written {@code <MiB>m-<percent>pct}: that many MiB of
 * incompressible data in 256 KiB files, of which the entrypoint reads the given share before printing its first
 * line. {@code python3} is a Debian 12 rootfs (debootstrap) running {@code python3 -c 'print("hello")'}.
 */
record ImageSpec(String name, long dataBytes, double readFraction) {

    static final int FILE_BYTES = 256 << 10;
    static final String PYTHON3 = "python3";

    static ImageSpec parse(String name) {
        if (name.equals(PYTHON3)) {
            return new ImageSpec(name, 0, 0);
        }
        if (!name.matches("\\d+m-\\d+pct")) {
            throw new IllegalArgumentException("image must be python3 or look like 100m-2pct, not " + name);
        }
        String[] parts = name.split("-");
        long mib = Long.parseLong(parts[0].substring(0, parts[0].length() - 1));
        int percent = Integer.parseInt(parts[1].substring(0, parts[1].length() - 3));
        return new ImageSpec(name, mib << 20, percent / 100.0);
    }

    boolean isPython() {
        return name.equals(PYTHON3);
    }

    int files() {
        return (int) (dataBytes / FILE_BYTES);
    }

    /** How many data files the entrypoint reads: at least one. */
    int filesRead() {
        return Math.max(1, (int) Math.ceil(files() * readFraction));
    }
}
