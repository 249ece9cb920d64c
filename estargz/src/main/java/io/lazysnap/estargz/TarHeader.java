package io.lazysnap.estargz;

import java.time.Instant;
import java.util.Map;

/**
 * The metadata of one tar entry, with PAX and GNU extensions already applied.
 *
 * @param name   the name exactly as stored (e.g. {@code ./bin/sh}, {@code etc/})
 * @param mode   the raw tar mode field (some writers include the file-type bits)
 * @param xattrs raw values of {@code SCHILY.xattr.*} records, in header order
 */
public record TarHeader(String name, EntryType type, String linkName, long mode, long uid, long gid, long size,
                 Instant modTime, String userName, String groupName, int devMajor, int devMinor,
                 Map<String, byte[]> xattrs) {

    static final int BLOCK = 512;

    /** Bytes of zero padding after a payload of {@code size} bytes. */
    public static int padding(long size) {
        return (int) ((BLOCK - size % BLOCK) % BLOCK);
    }

    /** This header as tar blocks: a ustar header, preceded by a PAX header where a value does not fit ustar. */
    public byte[] encode() {
        return TarHeaderEncoder.encode(this);
    }
}
