package io.lazysnap.bench;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;

/** A minimal ustar writer for in-memory micro-benchmark layers: directories and regular files, names under 100 bytes. */
final class TarWriter {

    private static final int BLOCK = 512;
    private final ByteArrayOutputStream out = new ByteArrayOutputStream();

    TarWriter directory(String name) {
        header(name.endsWith("/") ? name : name + "/", '5', 0, 0755);
        return this;
    }

    TarWriter file(String name, byte[] content) {
        header(name, '0', content.length, 0644);
        out.writeBytes(content);
        pad(content.length);
        return this;
    }

    /** The archive, with its two closing zero blocks. */
    byte[] finish() {
        out.writeBytes(new byte[2 * BLOCK]);
        return out.toByteArray();
    }

    private void header(String name, char type, long size, int mode) {
        byte[] h = new byte[BLOCK];
        put(h, 0, 100, name);
        put(h, 100, 8, octal(mode, 7));
        put(h, 108, 8, octal(0, 7));
        put(h, 116, 8, octal(0, 7));
        put(h, 124, 12, octal(size, 11));
        put(h, 136, 12, octal(0, 11));
        h[156] = (byte) type;
        put(h, 257, 6, "ustar");
        put(h, 263, 2, "00");
        // The checksum is computed with its own field read as spaces.
        java.util.Arrays.fill(h, 148, 156, (byte) ' ');
        long sum = 0;
        for (byte b : h) {
            sum += b & 0xff;
        }
        put(h, 148, 8, octal(sum, 6) + "\0 ");
        out.writeBytes(h);
    }

    private void pad(long size) {
        int rest = (int) (size % BLOCK);
        if (rest != 0) {
            out.writeBytes(new byte[BLOCK - rest]);
        }
    }

    private static String octal(long value, int digits) {
        return String.format("%0" + digits + "o", value);
    }

    private static void put(byte[] header, int offset, int length, String value) {
        byte[] bytes = value.getBytes(StandardCharsets.US_ASCII);
        System.arraycopy(bytes, 0, header, offset, Math.min(length, bytes.length));
    }
}
