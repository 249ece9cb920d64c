package io.lazysnap.fs;

import io.lazysnap.estargz.BlobSource;
import io.lazysnap.estargz.MemoryBlob;
import io.lazysnap.estargz.ConversionResult;
import io.lazysnap.estargz.EstargzLayer;
import io.lazysnap.estargz.LayerConverter;
import io.lazysnap.estargz.MemoryTar;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.stream.Stream;

/**
 * Mounts a small eStargz layer built in memory, reads a file through the kernel and unmounts it: proof that this
 * node can serve layers (the device, mount(2) and the kernel's FUSE all work), done once at start-up. Its layer
 * holds a thousand files in twenty directories, which are parsed, mounted and looked up through the kernel, so that
 * the code of the Prepare path (TOC parser, inode table, FUSE session) is loaded and compiled before the first image
 * arrives: interpreted, the first 410-entry TOC took 120 ms to parse and build, and a JVM daemon that has just
 * started would pay that on the first pods' start-up.
 */
public final class FuseSelfTest {

    static final String FILE = "lazysnap-self-test";
    /** Enough entries, spread over directories, for the per-entry code to reach the JIT's first compiled tier. */
    private static final int WARM_FILES = 1000;
    private static final int WARM_DIRS = 20;
    /**
     * How often the TOC is read and indexed: its per-entry code runs a few thousand times, so that the first real
     * layer of 7,000 entries (python3) opens in about 235 ms instead of 250-310 (1,000 entries read once left that
     * code half-compiled; 5,000 files mounted once gave 205-215 ms, for half a second more of start-up).
     */
    private static final int WARM_ROUNDS = 5;
    private static final byte[] CONTENT = "lazysnap serves layers through FUSE on this node\n"
            .getBytes(StandardCharsets.US_ASCII);

    private FuseSelfTest() {
    }

    /**
     * Runs the test at {@code mountpoint}, an empty directory (created if missing) that is empty again afterwards.
     *
     * @throws IOException saying what failed: the mount, the read, or bytes that differ
     */
    public static void run(Path mountpoint) throws IOException {
        ByteArrayOutputStream blob = new ByteArrayOutputStream();
        Map<String, byte[]> files = new LinkedHashMap<>();
        files.put(FILE, CONTENT);
        for (int i = 0; i < WARM_FILES; i++) {
            files.put(String.format(Locale.ROOT, "warm-%02d/file-%04d", i % WARM_DIRS, i), new byte[] {(byte) i});
        }
        ConversionResult converted = LayerConverter.builder().build()
                .convert(new ByteArrayInputStream(tar(files)), blob);
        BlobSource source = new MemoryBlob(blob.toByteArray());
        for (int round = 1; round < WARM_ROUNDS; round++) {
            InodeTable.of(EstargzLayer.open(source, converted.annotations()).toc());
        }
        EstargzLayer layer = EstargzLayer.open(source, converted.annotations());
        byte[] expected = CONTENT;
        LayerFsOptions options = LayerFsOptions.builder(ChunkCache.builder().memoryBytes(1 << 20).build())
                .prefetch(false).backgroundFetch(false).readAheadBytes(0).build();
        Files.createDirectories(mountpoint);
        try (MountedLayer mounted = LayerFs.mount(converted.blobDigest(), source, layer, mountpoint, options)) {
            byte[] read = Files.readAllBytes(mounted.mountpoint().resolve(FILE));
            if (!Arrays.equals(expected, read)) {
                throw new IOException("a file read through the FUSE mount at " + mountpoint + " returned "
                        + read.length + " bytes that differ from the layer's " + expected.length);
            }
            try (Stream<Path> listed = Files.walk(mounted.mountpoint())) {
                long seen = listed.filter(p -> Files.isRegularFile(p, LinkOption.NOFOLLOW_LINKS)).count();
                if (seen != files.size()) {
                    throw new IOException("the FUSE mount at " + mountpoint + " lists " + seen + " files, not "
                            + files.size());
                }
            }
        }
    }

    /** A tar archive of regular files, in order (what the converter reads). */
    static byte[] tar(Map<String, byte[]> files) {
        MemoryTar tar = new MemoryTar();
        files.forEach(tar::file);
        return tar.finish();
    }
}
