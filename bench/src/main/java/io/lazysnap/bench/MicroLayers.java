package io.lazysnap.bench;

import io.lazysnap.estargz.LayerConverter;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.util.Random;

/** Seeded eStargz layers for the micro-benchmarks, built in memory with our own converter. */
final class MicroLayers {

    static final String BIG_FILE = "data/big";
    static final int BIG_FILE_BYTES = 64 << 20;
    static final String SMALL_FILE = "etc/small-0000";

    private MicroLayers() {
    }

    /** {@code entries} small files (64 bytes each) in directories of 1000: a TOC of that many entries. */
    static byte[] manyFiles(int entries) throws IOException {
        TarWriter tar = new TarWriter();
        byte[] content = new byte[64];
        Random random = new Random(1);
        for (int i = 0; i < entries; i++) {
            if (i % 1000 == 0) {
                tar.directory("d" + i / 1000);
            }
            random.nextBytes(content);
            tar.file("d" + i / 1000 + "/f" + i, content);
        }
        return convert(tar.finish());
    }

    /**
     * One 64 MiB file of half-compressible data (random bytes from a 16-symbol alphabet, like text or code)
     * in 4 MiB chunks, and 100 small files.
     */
    static byte[] bigAndSmall() throws IOException {
        byte[] big = new byte[BIG_FILE_BYTES];
        Random random = new Random(2);
        random.nextBytes(big);
        for (int i = 0; i < big.length; i++) {
            big[i] = (byte) ('a' + (big[i] & 0x0f));
        }
        TarWriter tar = new TarWriter().directory("data").file(BIG_FILE, big).directory("etc");
        for (int i = 0; i < 100; i++) {
            tar.file("etc/small-%04d".formatted(i), ("small file " + i + "\n").getBytes());
        }
        return convert(tar.finish());
    }

    private static byte[] convert(byte[] tar) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        LayerConverter.builder().build().convert(new ByteArrayInputStream(tar), out);
        return out.toByteArray();
    }
}
