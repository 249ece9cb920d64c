package io.lazysnap.cli.convert;

import io.lazysnap.estargz.ConversionResult;
import io.lazysnap.estargz.EstargzLayer;
import io.lazysnap.estargz.LayerConverter;
import io.lazysnap.registry.BlobStream;
import io.lazysnap.registry.Descriptor;
import io.lazysnap.registry.Reference;
import io.lazysnap.registry.RegistryClient;
import io.lazysnap.daemon.progress.Task;
import java.io.BufferedOutputStream;
import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;

/**
 * One layer of a conversion: stream it from the source repository through the converter into a temporary file,
 * read the result's TOC back (which checks it against its own digest annotation), then push it. Layers that are not
 * tar streams are carried over unchanged.
 */
final class LayerConversion {

    /** The layer's descriptor in the converted manifest and its diffID for the converted config. */
    record Converted(Descriptor descriptor, String diffId) {
    }

    private final RegistryClient registry;
    private final LayerConverter converter;
    private final Path tempDir;
    private final List<String> prioritized;
    private final Set<String> prioritizedFound;

    /** @param prioritizedFound collects the prioritised paths that some layer contained */
    LayerConversion(RegistryClient registry, LayerConverter converter, Path tempDir, List<String> prioritized,
                    Set<String> prioritizedFound) {
        this.registry = registry;
        this.converter = converter;
        this.tempDir = tempDir;
        this.prioritized = prioritized;
        this.prioritizedFound = prioritizedFound;
    }

    Converted convert(Reference src, Reference dst, Descriptor layer, String diffId, Task task) throws IOException {
        Path blob = Files.createTempFile(tempDir, "lazysnap-convert-", ".layer");
        try {
            if (!isTarLayer(layer.mediaType())) {
                task.status("copying", layer.size());
                copy(src, dst, layer, blob, task);
                task.finish("copied", layer.size());
                return new Converted(layer, diffId);
            }
            task.status("converting", layer.size());
            ConversionResult result = convertTo(blob, src, layer, task);
            try (FileBlobSource written = new FileBlobSource(blob)) {
                EstargzLayer check = EstargzLayer.open(written, result.annotations());
                prioritized.stream().filter(p -> check.toc().entry(p).isPresent()).forEach(prioritizedFound::add);
            }
            task.status("pushing", 0);
            Descriptor pushed = registry.pushBlob(dst, result.mediaType(), blob);
            if (!pushed.digest().equals(result.blobDigest())) {
                throw new IOException("converted layer was written as " + result.blobDigest() + " but pushed as "
                        + pushed.digest());
            }
            task.finish("converted", result.blobSize());
            return new Converted(Descriptor.of(result.mediaType(), result.blobDigest(), result.blobSize())
                    .withAnnotations(result.annotations()), result.diffId());
        } finally {
            Files.deleteIfExists(blob);
        }
    }

    private ConversionResult convertTo(Path blob, Reference src, Descriptor layer, Task task) throws IOException {
        try (BlobStream in = new BlobStream(registry.blobSource(src, layer), layer.size(), layer.digest(),
                task::advance); OutputStream out = new BufferedOutputStream(Files.newOutputStream(blob), 1 << 16)) {
            // The converter closes its input when the tar ends; the digest check needs the stream afterwards.
            ConversionResult result = converter.convert(new FilterInputStream(in) {
                @Override
                public void close() {
                }
            }, out);
            in.readToEndAndVerify();
            return result;
        }
    }

    private void copy(Reference src, Reference dst, Descriptor layer, Path blob, Task task) throws IOException {
        if (src.registry().equals(dst.registry()) && registry.mountBlob(src, dst, layer)) {
            return;
        }
        try (InputStream in = new BlobStream(registry.blobSource(src, layer), layer.size(), layer.digest(),
                task::advance)) {
            Files.copy(in, blob, java.nio.file.StandardCopyOption.REPLACE_EXISTING);
        }
        registry.pushBlob(dst, layer.mediaType(), blob);
    }

    /** OCI and Docker tar layers, compressed or not; foreign and non-distributable layers are not ours to rewrite. */
    static boolean isTarLayer(String mediaType) {
        boolean layer = mediaType.startsWith("application/vnd.oci.image.layer.")
                || mediaType.startsWith("application/vnd.docker.image.rootfs.diff.tar");
        return layer && mediaType.contains("tar") && !mediaType.contains("nondistributable");
    }
}
