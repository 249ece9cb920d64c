package io.lazysnap.estargz;

import java.io.ByteArrayOutputStream;
import java.time.Instant;
import java.util.Map;

/**
 * A small tar archive written in memory, for the layers a process builds for its own start-up self-tests: entries
 * owned by root, dated at the epoch, in the order they are added.
 */
public final class MemoryTar {

    private static final byte[] NONE = new byte[0];

    private final ByteArrayOutputStream tar = new ByteArrayOutputStream();

    public MemoryTar directory(String name) {
        return entry(name, EntryType.DIR, "", 0755, NONE);
    }

    public MemoryTar file(String name, byte[] content) {
        return entry(name, EntryType.REG, "", 0644, content);
    }

    public MemoryTar symlink(String name, String target) {
        return entry(name, EntryType.SYMLINK, target, 0777, NONE);
    }

    public MemoryTar hardlink(String name, String target) {
        return entry(name, EntryType.HARDLINK, target, 0644, NONE);
    }

    /** The archive, ended by its two zero blocks. */
    public byte[] finish() {
        tar.writeBytes(new byte[2 * TarHeader.BLOCK]);
        return tar.toByteArray();
    }

    private MemoryTar entry(String name, EntryType type, String link, int mode, byte[] content) {
        tar.writeBytes(new TarHeader(name, type, link, mode, 0, 0, content.length, Instant.EPOCH, "", "", 0, 0,
                Map.of()).encode());
        tar.writeBytes(content);
        tar.writeBytes(new byte[TarHeader.padding(content.length)]);
        return this;
    }
}
