package io.lazysnap.estargz;

import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.math.BigDecimal;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * A streaming tar reader for the formats layers use: ustar, GNU ({@code L}/{@code K} long names, base-256
 * numbers) and PAX ({@code x} and {@code g} records). Xattr values keep their raw bytes, which is why this is
 * not delegated to a library that decodes PAX values as UTF-8. Sparse entries are refused.
 */
public final class TarReader {

    /** Cap on a PAX or GNU long-name block, so a hostile size cannot exhaust memory. */
    private static final int MAX_META_BYTES = 1 << 20;
    private static final String XATTR = "SCHILY.xattr.";

    private final InputStream in;
    private final Map<String, byte[]> globalPax = new HashMap<>();
    private long position;
    private long remaining;
    private int padding;
    private long payloadOffset;

    public TarReader(InputStream in) {
        this.in = in;
    }

    /** Bytes consumed so far from the underlying stream. */
    long position() {
        return position;
    }

    /** Offset in the stream where the current entry's payload starts. */
    long payloadOffset() {
        return payloadOffset;
    }

    /** The next entry's header, skipping the rest of the current payload; null at the end of the archive. */
    public TarHeader next() throws IOException {
        skip(remaining + padding);
        remaining = 0;
        padding = 0;
        Map<String, byte[]> pax = new HashMap<>();
        String longName = null;
        String longLink = null;
        while (true) {
            byte[] block = readBlock();
            if (block == null || isZero(block)) {
                return null;
            }
            verifyChecksum(block);
            char flag = (char) block[156];
            long size = number(block, 124, 12, "size");
            switch (flag) {
                case 'x' -> pax.putAll(parsePax(readMeta(size)));
                case 'g' -> globalPax.putAll(parsePax(readMeta(size)));
                case 'L' -> longName = cString(readMeta(size), 0, (int) size);
                case 'K' -> longLink = cString(readMeta(size), 0, (int) size);
                default -> {
                    Map<String, byte[]> records = new HashMap<>(globalPax);
                    records.putAll(pax);
                    TarHeader header = header(block, flag, size, records, longName, longLink);
                    remaining = header.size();
                    padding = TarHeader.padding(remaining);
                    payloadOffset = position;
                    return header;
                }
            }
        }
    }

    /** The current entry's payload; reads end at its size. */
    public InputStream payload() {
        return new InputStream() {
            @Override
            public int read() throws IOException {
                byte[] one = new byte[1];
                return read(one, 0, 1) < 0 ? -1 : one[0] & 0xff;
            }

            @Override
            public int read(byte[] b, int off, int len) throws IOException {
                if (remaining == 0) {
                    return -1;
                }
                int n = in.read(b, off, (int) Math.min(len, remaining));
                if (n < 0) {
                    throw new EOFException("tar payload truncated with " + remaining + " bytes missing");
                }
                remaining -= n;
                position += n;
                return n;
            }
        };
    }

    private TarHeader header(byte[] b, char flag, long size, Map<String, byte[]> pax, String longName,
                             String longLink) throws IOException {
        EntryType type = switch (flag) {
            case '0', '\0', '7' -> EntryType.REG;
            case '1' -> EntryType.HARDLINK;
            case '2' -> EntryType.SYMLINK;
            case '3' -> EntryType.CHAR;
            case '4' -> EntryType.BLOCK;
            case '5' -> EntryType.DIR;
            case '6' -> EntryType.FIFO;
            case 'S' -> throw new LayerFormatException("GNU sparse tar entries are not supported");
            default -> throw new LayerFormatException("unsupported tar entry type '" + flag + "'");
        };
        boolean ustar = Arrays.equals(b, 257, 263, "ustar\0".getBytes(StandardCharsets.US_ASCII), 0, 6);
        String name = cString(b, 0, 100);
        if (ustar && b[345] != 0) {
            name = cString(b, 345, 155) + "/" + name;
        }
        name = paxString(pax, "path", longName != null ? longName : name);
        if (flag == '\0' && name.endsWith("/")) {
            type = EntryType.DIR; // pre-POSIX tars mark directories only by the trailing slash
        }
        for (String key : pax.keySet()) {
            if (key.startsWith("GNU.sparse.")) {
                throw new LayerFormatException("PAX sparse tar entries are not supported: " + EntryPaths.quote(name));
            }
        }
        Map<String, byte[]> xattrs = new LinkedHashMap<>();
        pax.entrySet().stream()
                .filter(e -> e.getKey().startsWith(XATTR))
                .sorted(Map.Entry.comparingByKey())
                .forEach(e -> xattrs.put(e.getKey().substring(XATTR.length()), e.getValue()));
        long entrySize = paxNumber(pax, "size", size);
        if (type != EntryType.REG) {
            entrySize = 0; // links, dirs and devices carry no payload whatever the size field says
        }
        return new TarHeader(name, type, paxString(pax, "linkpath", longLink != null ? longLink : cString(b, 157, 100)),
                number(b, 100, 8, "mode"), paxNumber(pax, "uid", number(b, 108, 8, "uid")),
                paxNumber(pax, "gid", number(b, 116, 8, "gid")), entrySize,
                paxTime(pax, number(b, 136, 12, "mtime")), paxString(pax, "uname", cString(b, 265, 32)),
                paxString(pax, "gname", cString(b, 297, 32)), (int) number(b, 329, 8, "devmajor"),
                (int) number(b, 337, 8, "devminor"), xattrs);
    }

    private static Map<String, byte[]> parsePax(byte[] data) throws LayerFormatException {
        Map<String, byte[]> records = new HashMap<>();
        int at = 0;
        while (at < data.length && data[at] != 0) {
            int space = at;
            while (space < data.length && data[space] != ' ') {
                space++;
            }
            int length;
            try {
                length = Integer.parseInt(new String(data, at, space - at, StandardCharsets.US_ASCII));
            } catch (NumberFormatException e) {
                throw new LayerFormatException("malformed PAX record length", e);
            }
            int end = at + length;
            if (length <= 0 || end > data.length || data[end - 1] != '\n') {
                throw new LayerFormatException("malformed PAX record");
            }
            int eq = space + 1;
            while (eq < end && data[eq] != '=') {
                eq++;
            }
            if (eq >= end) {
                throw new LayerFormatException("PAX record without '='");
            }
            String key = new String(data, space + 1, eq - space - 1, StandardCharsets.UTF_8);
            records.put(key, Arrays.copyOfRange(data, eq + 1, end - 1));
            at = end;
        }
        return records;
    }

    private static String paxString(Map<String, byte[]> pax, String key, String fallback) {
        byte[] v = pax.get(key);
        return v == null ? fallback : new String(v, StandardCharsets.UTF_8);
    }

    private static long paxNumber(Map<String, byte[]> pax, String key, long fallback) throws LayerFormatException {
        byte[] v = pax.get(key);
        if (v == null) {
            return fallback;
        }
        try {
            long n = Long.parseLong(new String(v, StandardCharsets.US_ASCII));
            if (n < 0) {
                throw new NumberFormatException("negative");
            }
            return n;
        } catch (NumberFormatException e) {
            throw new LayerFormatException("PAX record " + key + " is not a number", e);
        }
    }

    private static Instant paxTime(Map<String, byte[]> pax, long fallback) throws LayerFormatException {
        byte[] v = pax.get("mtime");
        if (v == null) {
            return Instant.ofEpochSecond(fallback);
        }
        String text = new String(v, StandardCharsets.US_ASCII);
        if (!isPaxDecimal(text)) {
            // POSIX allows digits, a sign and a fraction only; an exponent (1e400000000) would make BigDecimal
            // work for minutes on bytes nobody has verified yet.
            throw new LayerFormatException("PAX mtime is not a decimal number of at most 40 characters: "
                    + EntryPaths.quote(text.length() > 40 ? text.substring(0, 40) + "..." : text));
        }
        try {
            BigDecimal seconds = new BigDecimal(text);
            long whole = seconds.setScale(0, java.math.RoundingMode.FLOOR).longValueExact();
            long nanos = seconds.subtract(BigDecimal.valueOf(whole)).movePointRight(9).longValue();
            return Instant.ofEpochSecond(whole, nanos);
        } catch (NumberFormatException | ArithmeticException | java.time.DateTimeException e) {
            throw new LayerFormatException("PAX mtime is not a number", e);
        }
    }

    /** {@code -?digits(.digits)?}, at most 40 characters. */
    static boolean isPaxDecimal(String text) {
        int i = text.startsWith("-") ? 1 : 0;
        int digits = 0;
        boolean point = false;
        for (; i < text.length(); i++) {
            char c = text.charAt(i);
            if (c >= '0' && c <= '9') {
                digits++;
            } else if (c == '.' && !point && digits > 0) {
                point = true;
                digits = 0;
            } else {
                return false;
            }
        }
        return digits > 0 && text.length() <= 40;
    }

    /** Octal (space/NUL terminated) or GNU base-256 (high bit set) numeric field. */
    private static long number(byte[] b, int at, int len, String field) throws LayerFormatException {
        if ((b[at] & 0x80) != 0) {
            if ((b[at] & 0x40) != 0) {
                throw new LayerFormatException("negative base-256 tar " + field);
            }
            long v = b[at] & 0x3f;
            for (int i = 1; i < len; i++) {
                if ((v >>> 55) != 0) {
                    throw new LayerFormatException("tar " + field + " overflows 63 bits");
                }
                v = (v << 8) | (b[at + i] & 0xff);
            }
            return v;
        }
        long v = 0;
        int i = at;
        int end = at + len;
        while (i < end && (b[i] == ' ' || b[i] == 0)) {
            i++;
        }
        for (; i < end && b[i] != 0 && b[i] != ' '; i++) {
            if (b[i] < '0' || b[i] > '7' || (v >>> 60) != 0) {
                throw new LayerFormatException("tar " + field + " field is not octal");
            }
            v = (v << 3) | (b[i] - '0');
        }
        return v;
    }

    private static String cString(byte[] b, int at, int max) {
        int end = at;
        while (end < at + max && end < b.length && b[end] != 0) {
            end++;
        }
        return new String(b, at, end - at, StandardCharsets.UTF_8);
    }

    private static void verifyChecksum(byte[] block) throws LayerFormatException {
        long recorded = number(block, 148, 8, "checksum");
        long unsigned = 0;
        long signed = 0;
        for (int i = 0; i < TarHeader.BLOCK; i++) {
            byte c = i >= 148 && i < 156 ? (byte) ' ' : block[i];
            unsigned += c & 0xff;
            signed += c;
        }
        if (recorded != unsigned && recorded != signed) {
            throw new LayerFormatException("tar header checksum mismatch (not a tar, or corrupt)");
        }
    }

    private static boolean isZero(byte[] block) {
        for (byte b : block) {
            if (b != 0) {
                return false;
            }
        }
        return true;
    }

    private byte[] readMeta(long size) throws IOException {
        if (size > MAX_META_BYTES) {
            throw new LayerFormatException("tar extension header of " + size + " bytes exceeds " + MAX_META_BYTES);
        }
        byte[] data = readFully((int) size);
        skip(TarHeader.padding(size));
        return data;
    }

    private byte[] readBlock() throws IOException {
        byte[] block = in.readNBytes(TarHeader.BLOCK);
        position += block.length;
        if (block.length == 0) {
            return null; // a missing end-of-archive marker is tolerated, as GNU tar does
        }
        if (block.length < TarHeader.BLOCK) {
            throw new EOFException("tar header truncated");
        }
        return block;
    }

    private byte[] readFully(int size) throws IOException {
        byte[] data = in.readNBytes(size);
        position += data.length;
        if (data.length < size) {
            throw new EOFException("tar archive truncated");
        }
        return data;
    }

    private void skip(long n) throws IOException {
        try {
            in.skipNBytes(n);
        } catch (EOFException e) {
            throw new EOFException("tar archive truncated");
        }
        position += n;
    }
}
