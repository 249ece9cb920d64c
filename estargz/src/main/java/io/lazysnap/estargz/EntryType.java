package io.lazysnap.estargz;

import java.util.Locale;

/** The type of a TOC entry, named as in the TOC JSON {@code type} field. */
public enum EntryType {
    DIR(0040000),
    REG(0100000),
    SYMLINK(0120000),
    /** Another name for an earlier entry; see {@link Toc#resolve(TocEntry)}. */
    HARDLINK(0),
    CHAR(0020000),
    BLOCK(0060000),
    FIFO(0010000);

    private final int formatBits;
    private final String jsonName;

    EntryType(int formatBits) {
        this.formatBits = formatBits;
        this.jsonName = name().toLowerCase(Locale.ROOT);
    }

    /** The {@code S_IFMT} bits of {@code st_mode} for this type (0 for hardlinks, which take their target's). */
    public int formatBits() {
        return formatBits;
    }

    /** The TOC JSON spelling, e.g. {@code "reg"}. */
    public String jsonName() {
        return jsonName;
    }
}
