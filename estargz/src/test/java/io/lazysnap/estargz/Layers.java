package io.lazysnap.estargz;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.util.ArrayList;
import java.util.List;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveInputStream;

/** Test helpers around conversions and independent decoding of their output. */
final class Layers {

    record Converted(byte[] blob, ConversionResult result) {
    }

    private Layers() {
    }

    static Converted convert(LayerConverter converter, byte[] input) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ConversionResult result = converter.convert(new ByteArrayInputStream(input), out);
        return new Converted(out.toByteArray(), result);
    }

    /** Decompresses a whole blob with the JDK / zstd-jni stream decoders (as a non-lazy consumer would). */
    static byte[] decompress(LayerFormat format, byte[] blob) throws IOException {
        try (InputStream in = Decompression.open(format, new ByteArrayInputStream(blob))) {
            return in.readAllBytes();
        }
    }

    /** Entry names of a tar according to commons-compress. */
    static List<String> names(byte[] tar) throws IOException {
        List<String> names = new ArrayList<>();
        try (TarArchiveInputStream in = new TarArchiveInputStream(new ByteArrayInputStream(tar))) {
            for (TarArchiveEntry e = in.getNextEntry(); e != null; e = in.getNextEntry()) {
                names.add(e.getName());
            }
        }
        return names;
    }

    /** Reads a whole regular file through the lazy reader. */
    static byte[] readAll(EstargzLayer layer, TocEntry file) throws IOException {
        TocEntry target = layer.toc().resolve(file);
        byte[] out = new byte[(int) target.size()];
        int n = layer.read(target, 0, out, 0, out.length);
        if (out.length > 0 && n != out.length) {
            throw new IOException("short read " + n);
        }
        return out;
    }
}
