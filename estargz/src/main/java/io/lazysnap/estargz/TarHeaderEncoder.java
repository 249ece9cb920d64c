package io.lazysnap.estargz;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Encodes tar headers: a ustar header, preceded by a PAX {@code x} header whenever a value does not fit ustar
 * (long or non-ASCII names, large numbers, xattrs, sub-second times). GNU tar, Go and containerd read both.
 */
final class TarHeaderEncoder {

    private static final long MAX_OCTAL_7 = 07777777L;
    private static final long MAX_OCTAL_11 = 077777777777L;

    private TarHeaderEncoder() {
    }

    static byte[] encode(TarHeader h) {
        Map<String, byte[]> pax = new LinkedHashMap<>();
        byte[] name = utf8(h.name());
        byte[] link = utf8(h.linkName() == null ? "" : h.linkName());
        if (name.length > 100 || !ascii(h.name())) {
            pax.put("path", name);
        }
        if (link.length > 100 || !ascii(h.linkName() == null ? "" : h.linkName())) {
            pax.put("linkpath", link);
        }
        paxIfLarge(pax, "uid", h.uid(), MAX_OCTAL_7);
        paxIfLarge(pax, "gid", h.gid(), MAX_OCTAL_7);
        paxIfLarge(pax, "size", h.size(), MAX_OCTAL_11);
        long seconds = h.modTime().getEpochSecond();
        if (seconds < 0 || seconds > MAX_OCTAL_11 || h.modTime().getNano() != 0) {
            pax.put("mtime", utf8(h.modTime().getNano() == 0 ? Long.toString(seconds)
                    : new java.math.BigDecimal(seconds).add(java.math.BigDecimal.valueOf(h.modTime().getNano(), 9))
                    .stripTrailingZeros().toPlainString()));
        }
        if (utf8(h.userName()).length > 32 || !ascii(h.userName())) {
            pax.put("uname", utf8(h.userName()));
        }
        if (utf8(h.groupName()).length > 32 || !ascii(h.groupName())) {
            pax.put("gname", utf8(h.groupName()));
        }
        h.xattrs().forEach((k, v) -> pax.put("SCHILY.xattr." + k, v));

        ByteArrayOutputStream out = new ByteArrayOutputStream(pax.isEmpty() ? 512 : 1536);
        if (!pax.isEmpty()) {
            byte[] records = paxRecords(pax);
            String paxName = "PaxHeaders.0/" + baseName(h.name());
            out.writeBytes(ustar(paxName, 'x', "", 0644, 0, 0, records.length, 0, "", "", 0, 0));
            out.writeBytes(records);
            out.writeBytes(new byte[TarHeader.padding(records.length)]);
        }
        out.writeBytes(ustar(h.name(), flag(h.type()), h.linkName() == null ? "" : h.linkName(), h.mode(),
                h.uid(), h.gid(), h.size(), seconds, h.userName(), h.groupName(), h.devMajor(), h.devMinor()));
        return out.toByteArray();
    }

    private static char flag(EntryType type) {
        return switch (type) {
            case REG -> '0';
            case HARDLINK -> '1';
            case SYMLINK -> '2';
            case CHAR -> '3';
            case BLOCK -> '4';
            case DIR -> '5';
            case FIFO -> '6';
        };
    }

    private static byte[] ustar(String name, char flag, String link, long mode, long uid, long gid, long size,
                                long mtime, String uname, String gname, long devMajor, long devMinor) {
        byte[] b = new byte[TarHeader.BLOCK];
        text(b, 0, 100, name);
        octal(b, 100, 8, mode & MAX_OCTAL_7);
        octal(b, 108, 8, Math.min(uid, MAX_OCTAL_7));
        octal(b, 116, 8, Math.min(gid, MAX_OCTAL_7));
        octal(b, 124, 12, Math.min(size, MAX_OCTAL_11));
        octal(b, 136, 12, Math.max(0, Math.min(mtime, MAX_OCTAL_11)));
        b[156] = (byte) flag;
        text(b, 157, 100, link);
        text(b, 257, 6, "ustar\0");
        text(b, 263, 2, "00");
        text(b, 265, 32, uname);
        text(b, 297, 32, gname);
        octal(b, 329, 8, Math.min(devMajor, MAX_OCTAL_7));
        octal(b, 337, 8, Math.min(devMinor, MAX_OCTAL_7));
        for (int i = 148; i < 156; i++) {
            b[i] = ' ';
        }
        long sum = 0;
        for (byte x : b) {
            sum += x & 0xff;
        }
        octal(b, 148, 7, sum);
        return b;
    }

    /** {@code "%d %s=%s\n"} records, where the leading length counts itself. */
    private static byte[] paxRecords(Map<String, byte[]> pax) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        pax.forEach((key, value) -> {
            byte[] k = utf8(key);
            int body = 1 + k.length + 1 + value.length + 1;
            int length = body + Integer.toString(body).length();
            if (Integer.toString(length).length() != Integer.toString(body).length()) {
                length++;
            }
            out.writeBytes(utf8(length + " "));
            out.writeBytes(k);
            out.write('=');
            out.writeBytes(value);
            out.write('\n');
        });
        return out.toByteArray();
    }

    private static void paxIfLarge(Map<String, byte[]> pax, String key, long value, long max) {
        if (value > max) {
            pax.put(key, utf8(Long.toString(value)));
        }
    }

    /** Writes {@code width - 1} zero-padded octal digits and a NUL. */
    private static void octal(byte[] b, int at, int width, long value) {
        String digits = Long.toOctalString(value);
        int pad = width - 1 - digits.length();
        for (int i = 0; i < width - 1; i++) {
            b[at + i] = (byte) (i < pad ? '0' : digits.charAt(i - pad));
        }
        b[at + width - 1] = 0;
    }

    private static void text(byte[] b, int at, int width, String s) {
        byte[] bytes = utf8(s);
        System.arraycopy(bytes, 0, b, at, Math.min(width, bytes.length));
    }

    private static String baseName(String name) {
        String trimmed = name.endsWith("/") ? name.substring(0, name.length() - 1) : name;
        String base = trimmed.substring(trimmed.lastIndexOf('/') + 1);
        return ascii(base) && base.length() <= 80 ? base : "entry";
    }

    private static boolean ascii(String s) {
        return s.chars().allMatch(c -> c > 0 && c < 0x80);
    }

    private static byte[] utf8(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }
}
