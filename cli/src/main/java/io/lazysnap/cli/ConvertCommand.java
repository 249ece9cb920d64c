package io.lazysnap.cli;

import ch.qos.logback.classic.Level;
import io.lazysnap.estargz.LayerConverter;
import io.lazysnap.estargz.LayerFormat;
import io.lazysnap.registry.Descriptor;
import io.lazysnap.registry.Platform;
import io.lazysnap.registry.Reference;
import io.lazysnap.registry.RegistryClient;
import io.lazysnap.cli.convert.ImageConverter;
import io.lazysnap.daemon.progress.Progress;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.Callable;
import org.slf4j.LoggerFactory;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code lazysnap convert}: convert an image in a registry to eStargz (or zstd:chunked) and push it. */
@Command(name = "convert", mixinStandardHelpOptions = true,
        description = {"Convert every layer of an image to eStargz (default) or zstd:chunked and push it to DST.",
                "A multi-platform image is converted for all its platforms into a new index, unless --platform "
                        + "picks one (DST is then that platform's manifest). Attestation manifests are not carried over."})
final class ConvertCommand implements Callable<Integer> {

    @Option(names = "--zstdchunked", description = "Write zstd:chunked layers instead of eStargz")
    boolean zstdChunked;

    @ArgGroup(exclusive = true)
    Priorities priorities;

    static final class Priorities {
        // One value per occurrence (or comma-separated): a greedy list would swallow SRC and DST.
        @Option(names = "--prioritize", paramLabel = "FILE", split = ",",
                description = "A file a container reads first (e.g. /bin/sh); repeat it or separate with commas."
                        + " In order, these go before the prefetch landmark of the layer that holds them")
        List<String> files;

        @Option(names = "--prioritize-from", paramLabel = "LIST", description = "A file listing such paths, one a line")
        Path list;
    }

    @Option(names = "--platform", description = "Convert only this os/arch[/variant] of a multi-platform image")
    String platform;

    @Option(names = "--temp-dir", description = "Where converted layers are staged before pushing (default: java.io.tmpdir)")
    Path tempDir;

    @Mixin
    CliLogging logging;

    @Mixin
    RegistryOptions registry;

    @Parameters(index = "0", paramLabel = "SRC", description = "Image to convert")
    String src;

    @Parameters(index = "1", paramLabel = "DST", description = "Where to push the converted image (a tag)")
    String dst;

    @Override
    public Integer call() throws Exception {
        logging.apply();
        // The converter warns about each prioritised file per layer that lacks it; the command reports those once.
        ((ch.qos.logback.classic.Logger) LoggerFactory.getLogger(LayerConverter.class)).setLevel(Level.ERROR);
        Reference from = Reference.parse(src);
        Reference to = Reference.parse(dst);
        List<String> prioritized = prioritized();
        LayerConverter converter = LayerConverter.builder()
                .format(zstdChunked ? LayerFormat.ZSTD_CHUNKED : LayerFormat.ESTARGZ)
                .prioritizedFiles(prioritized)
                .tempDirectory(temp())
                .build();
        try (RegistryClient client = registry.client(from, to); Progress progress = Progress.toStdout()) {
            Descriptor pushed = new ImageConverter(client, converter, prioritized, temp(), progress)
                    .convert(from, to, Optional.ofNullable(platform).map(Platform::parse));
            progress.message("pushed " + to + "@" + pushed.digest() + " (" + pushed.mediaType() + ")");
            return 0;
        } catch (IOException e) {
            return CliErrors.report("convert", e);
        }
    }

    private Path temp() {
        return tempDir != null ? tempDir : Path.of(System.getProperty("java.io.tmpdir"));
    }

    /** Paths as users write them ({@code /bin/sh}), relative to the layer root as tar entries name them. */
    private List<String> prioritized() throws IOException {
        if (priorities == null) {
            return List.of();
        }
        List<String> given = priorities.files != null ? priorities.files : Files.readAllLines(priorities.list);
        List<String> paths = new ArrayList<>();
        for (String line : given) {
            String path = line.strip().replaceFirst("^/+", "");
            if (!path.isEmpty() && !line.startsWith("#")) {
                paths.add(path);
            }
        }
        return paths;
    }
}
