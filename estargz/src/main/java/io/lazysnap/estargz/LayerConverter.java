package io.lazysnap.estargz;

import com.github.luben.zstd.ZstdInputStreamNoFinalizer;
import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.channels.Channels;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.zip.GZIPInputStream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Converts an OCI layer (tar, tar+gzip or tar+zstd) into eStargz or zstd:chunked, streaming: memory stays
 * bounded by the chunk size and the entry metadata whatever the layer size. Without prioritised files the
 * input is converted in one pass; with them it is first spooled, uncompressed, to a temporary file so that the
 * prioritised files can be written first.
 *
 * <pre>{@code
 * ConversionResult r = LayerConverter.builder().prioritizedFiles(List.of("bin/sh")).build().convert(in, out);
 * }</pre>
 */
public final class LayerConverter {

    public static final int DEFAULT_CHUNK_SIZE = 4 << 20;
    private static final Logger LOG = LoggerFactory.getLogger(LayerConverter.class);
    private static final byte[] LANDMARK_CONTENT = {0x0f};

    private final LayerFormat format;
    private final int chunkSize;
    private final int minChunkSize;
    private final int level;
    private final List<String> prioritizedFiles;
    private final Path tempDirectory;

    private LayerConverter(Builder b) {
        this.format = b.format;
        this.chunkSize = b.chunkSize;
        this.minChunkSize = b.minChunkSize;
        this.level = b.level != null ? b.level : b.format == LayerFormat.ESTARGZ ? 6 : 3;
        this.prioritizedFiles = List.copyOf(b.prioritizedFiles);
        this.tempDirectory = b.tempDirectory;
    }

    public static Builder builder() {
        return new Builder();
    }

    /**
     * Reads a layer from {@code layer} and writes the converted blob to {@code out} (neither is closed).
     *
     * @throws LayerFormatException for unsafe, duplicate or unsupported tar entries
     */
    public ConversionResult convert(InputStream layer, OutputStream out) throws IOException {
        LayerWriter writer = new LayerWriter(format, out, chunkSize, minChunkSize, level);
        EntryCheck check = new EntryCheck();
        try (InputStream tar = uncompressed(layer)) {
            if (prioritizedFiles.isEmpty()) {
                writer.add(landmark(Toc.NO_PREFETCH_LANDMARK), new java.io.ByteArrayInputStream(LANDMARK_CONTENT));
                TarReader reader = new TarReader(tar);
                for (TarHeader h = reader.next(); h != null; h = reader.next()) {
                    if (check.accept(h)) {
                        writer.add(h, reader.payload());
                    }
                }
            } else {
                convertPrioritized(tar, writer, check);
            }
        }
        ConversionResult result = writer.finish();
        LOG.info("converted layer to {}: {} entries, {} -> {} bytes, {}", format, check.seen.size(),
                result.uncompressedSize(), result.blobSize(), result.blobDigest());
        return result;
    }

    private void convertPrioritized(InputStream tar, LayerWriter writer, EntryCheck check) throws IOException {
        Path spool = Files.createTempFile(tempDirectory, "lazysnap-layer-", ".tar");
        try {
            try (OutputStream o = Files.newOutputStream(spool)) {
                tar.transferTo(o);
            }
            List<Spooled> entries = new ArrayList<>();
            try (InputStream in = new BufferedInputStream(Files.newInputStream(spool), 64 * 1024)) {
                TarReader reader = new TarReader(in);
                for (TarHeader h = reader.next(); h != null; h = reader.next()) {
                    if (check.accept(h)) {
                        entries.add(new Spooled(h, reader.payloadOffset()));
                    }
                }
            }
            List<Spooled> ordered = prioritize(entries);
            // A layer holding none of the prioritised files says so, as stargz-snapshotter's converter does.
            String landmark = ordered.get(0).header() == null ? Toc.NO_PREFETCH_LANDMARK : Toc.PREFETCH_LANDMARK;
            try (FileChannel channel = FileChannel.open(spool, StandardOpenOption.READ)) {
                for (Spooled s : ordered) {
                    InputStream payload = s.header() == null
                            ? new java.io.ByteArrayInputStream(LANDMARK_CONTENT)
                            : new BufferedInputStream(Channels.newInputStream(channel.position(s.offset())), 64 * 1024);
                    writer.add(s.header() == null ? landmark(landmark) : s.header(), payload);
                }
            }
        } finally {
            Files.deleteIfExists(spool);
        }
    }

    /** Prioritised files (after their parent directories and hardlink targets), the landmark, then the rest. */
    private List<Spooled> prioritize(List<Spooled> entries) throws LayerFormatException {
        Map<String, Spooled> byPath = new HashMap<>();
        for (Spooled s : entries) {
            byPath.put(EntryPaths.clean(s.header().name()), s);
        }
        Set<Spooled> first = new LinkedHashSet<>();
        for (String wanted : prioritizedFiles) {
            String path = EntryPaths.clean(wanted);
            if (!byPath.containsKey(path)) {
                LOG.warn("prioritised file {} is not in the layer", path);
                continue;
            }
            moveWithDependencies(path, byPath, first);
        }
        List<Spooled> ordered = new ArrayList<>(first);
        ordered.add(new Spooled(null, 0)); // the landmark
        for (Spooled s : entries) {
            if (!first.contains(s)) {
                ordered.add(s);
            }
        }
        return ordered;
    }

    private static void moveWithDependencies(String path, Map<String, Spooled> byPath, Set<Spooled> first)
            throws LayerFormatException {
        Spooled s = byPath.get(path);
        if (s == null || first.contains(s)) {
            return;
        }
        if (!path.isEmpty()) {
            moveWithDependencies(EntryPaths.parent(path), byPath, first);
        }
        if (s.header().type() == EntryType.HARDLINK) {
            moveWithDependencies(EntryPaths.clean(s.header().linkName()), byPath, first);
        }
        first.add(s);
    }

    private static TarHeader landmark(String name) {
        return new TarHeader(name, EntryType.REG, "", 0644, 0, 0, 1, Instant.EPOCH, "", "", 0, 0, Map.of());
    }

    /** Detects gzip and zstd by magic number; anything else is taken as a plain tar. */
    private static InputStream uncompressed(InputStream layer) throws IOException {
        BufferedInputStream in = new BufferedInputStream(Objects.requireNonNull(layer, "layer"), 64 * 1024);
        in.mark(4);
        byte[] magic = in.readNBytes(4);
        in.reset();
        if (magic.length >= 2 && (magic[0] & 0xff) == 0x1f && (magic[1] & 0xff) == 0x8b) {
            return new GZIPInputStream(in, 64 * 1024);
        }
        if (magic.length == 4 && (magic[0] & 0xff) == 0x28 && (magic[1] & 0xff) == 0xb5
                && (magic[2] & 0xff) == 0x2f && (magic[3] & 0xff) == 0xfd) {
            return new ZstdInputStreamNoFinalizer(in);
        }
        return in;
    }

    /** An input entry and where its payload sits in the spool file; a null header stands for the landmark. */
    private record Spooled(TarHeader header, long offset) {
    }

    /**
     * Refuses entries a reader would refuse (unsafe names, duplicates, dangling hardlinks) and drops the
     * artefacts of an earlier conversion (TOC, landmarks), which are regenerated.
     */
    private static final class EntryCheck {
        private final Map<String, EntryType> seen = new LinkedHashMap<>();

        boolean accept(TarHeader h) throws LayerFormatException {
            String path = EntryPaths.clean(h.name());
            if (path.equals(EstargzLayer.TOC_TAR_NAME) || path.equals(Toc.PREFETCH_LANDMARK)
                    || path.equals(Toc.NO_PREFETCH_LANDMARK)) {
                return false;
            }
            EntryType previous = seen.put(path, h.type());
            if (previous != null && !(previous == EntryType.DIR && h.type() == EntryType.DIR)) {
                throw new LayerFormatException("layer has two entries named " + EntryPaths.quote(h.name()));
            }
            if (h.type() == EntryType.HARDLINK) {
                EntryType target = seen.get(EntryPaths.clean(h.linkName()));
                if (target == null || target == EntryType.DIR) {
                    throw new LayerFormatException("hardlink " + EntryPaths.quote(h.name())
                            + " points to missing or non-file " + EntryPaths.quote(h.linkName()));
                }
            }
            return true;
        }
    }

    /** Options of a conversion; the defaults match {@code ctr-remote image convert --estargz}. */
    public static final class Builder {
        private LayerFormat format = LayerFormat.ESTARGZ;
        private int chunkSize = DEFAULT_CHUNK_SIZE;
        private int minChunkSize;
        private Integer level;
        private List<String> prioritizedFiles = List.of();
        private Path tempDirectory = Path.of(System.getProperty("java.io.tmpdir"));

        private Builder() {
        }

        public Builder format(LayerFormat format) {
            this.format = Objects.requireNonNull(format);
            return this;
        }

        /** Largest uncompressed chunk of a file; larger files are split (default 4 MiB). */
        public Builder chunkSize(int chunkSize) {
            if (chunkSize <= 0) {
                throw new IllegalArgumentException("chunk size must be positive");
            }
            this.chunkSize = chunkSize;
            return this;
        }

        /** Packs payloads into one member until it holds this many uncompressed bytes (0: one per chunk). */
        public Builder minChunkSize(int minChunkSize) {
            if (minChunkSize < 0) {
                throw new IllegalArgumentException("minimum chunk size must not be negative");
            }
            this.minChunkSize = minChunkSize;
            return this;
        }

        /** gzip level 0-9 (default 6) or zstd level 1-22 (default 3). */
        public Builder compressionLevel(int level) {
            this.level = level;
            return this;
        }

        /** Paths written first, in this order, followed by {@code .prefetch.landmark}. */
        public Builder prioritizedFiles(List<String> paths) {
            this.prioritizedFiles = List.copyOf(paths);
            return this;
        }

        /** Where the spool file for prioritised conversions goes (default {@code java.io.tmpdir}). */
        public Builder tempDirectory(Path directory) {
            this.tempDirectory = Objects.requireNonNull(directory);
            return this;
        }

        public LayerConverter build() {
            return new LayerConverter(this);
        }
    }
}
