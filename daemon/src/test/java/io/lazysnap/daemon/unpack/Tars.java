package io.lazysnap.daemon.unpack;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.Map;

/** Writes tar streams entry by entry, names and all as given: for layers no honest tool would write. */
final class Tars {

    private final ByteArrayOutputStream out = new ByteArrayOutputStream();

    Tars file(String name, String content) {
        return entry(name, '0', "", 0644, content.getBytes(StandardCharsets.UTF_8));
    }

    Tars dir(String name) {
        return entry(name, '5', "", 0755, new byte[0]);
    }

    Tars symlink(String name, String target) {
        return entry(name, '2', target, 0777, new byte[0]);
    }

    Tars hardlink(String name, String target) {
        return entry(name, '1', target, 0644, new byte[0]);
    }

    /** A PAX header carrying {@code records} for the next entry. */
    Tars pax(Map<String, String> records) {
        StringBuilder body = new StringBuilder();
        records.forEach((k, v) -> {
            String record = " " + k + "=" + v + "\n";
            int length = record.length();
            length += Integer.toString(length + Integer.toString(length).length()).length();
            body.append(length).append(record);
        });
        return entry("pax", 'x', "", 0644, body.toString().getBytes(StandardCharsets.UTF_8));
    }

    Tars entry(String name, char type, String link, int mode, byte[] content) {
        byte[] h = new byte[512];
        put(h, 0, name, 100);
        put(h, 100, octal(mode, 7), 8);
        put(h, 108, octal(0, 7), 8);
        put(h, 116, octal(0, 7), 8);
        put(h, 124, octal(content.length, 11), 12);
        put(h, 136, octal(1_600_000_000L, 11), 12);
        h[156] = (byte) type;
        put(h, 157, link, 100);
        put(h, 257, "ustar", 6);
        put(h, 263, "00", 2);
        for (int i = 148; i < 156; i++) {
            h[i] = ' ';
        }
        long sum = 0;
        for (byte b : h) {
            sum += b & 0xff;
        }
        put(h, 148, octal(sum, 6), 7);
        out.writeBytes(h);
        out.writeBytes(content);
        out.writeBytes(new byte[(512 - content.length % 512) % 512]);
        return this;
    }

    byte[] bytes() {
        ByteArrayOutputStream done = new ByteArrayOutputStream();
        done.writeBytes(out.toByteArray());
        done.writeBytes(new byte[1024]);
        return done.toByteArray();
    }

    private static String octal(long value, int digits) {
        String s = Long.toOctalString(value);
        return "0".repeat(Math.max(0, digits - s.length())) + s;
    }

    private static void put(byte[] h, int at, String value, int max) {
        byte[] bytes = value.getBytes(StandardCharsets.UTF_8);
        System.arraycopy(bytes, 0, h, at, Math.min(bytes.length, max));
    }
}
