package io.lazysnap.server.cli;

import io.lazysnap.registry.Platform;
import io.lazysnap.registry.Reference;
import io.lazysnap.registry.RegistryClient;
import io.lazysnap.server.progress.Progress;
import io.lazysnap.server.pull.ImagePuller;
import java.io.IOException;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code lazysnap rpull}: pull an image into containerd with lazysnap preparing its layers (lazily when it can). */
@Command(name = "rpull", mixinStandardHelpOptions = true,
        description = {"Pull an image into containerd, letting the snapshotter serve eStargz layers lazily.",
                "Layers it cannot serve are downloaded and unpacked through containerd. Afterwards:",
                "  ctr run --snapshotter lazysnap REF ID"})
final class RpullCommand implements Callable<Integer> {

    @Option(names = "--address", defaultValue = "/run/containerd/containerd.sock",
            description = "containerd's grpc socket (default: ${DEFAULT-VALUE})")
    Path address;

    @Option(names = {"--namespace", "-n"}, defaultValue = "default", description = "containerd namespace (default: ${DEFAULT-VALUE})")
    String namespace;

    @Option(names = "--snapshotter", defaultValue = "lazysnap",
            description = "containerd's name for lazysnap, as in [proxy_plugins.NAME] (default: ${DEFAULT-VALUE})")
    String snapshotter;

    @Option(names = "--platform", description = "os/arch[/variant] to pull from a multi-platform image (default: this machine's)")
    String platform;

    @Mixin
    CliLogging logging;

    @Mixin
    RegistryOptions registry;

    @Parameters(paramLabel = "REF", description = "Image reference, e.g. registry.example.com/app:v1")
    String ref;

    @Override
    public Integer call() throws Exception {
        logging.apply();
        Reference reference = Reference.parse(ref);
        Platform target = platform != null ? Platform.parse(platform)
                : Platform.of("linux", System.getProperty("os.arch"), "");
        try (RegistryClient client = registry.client(reference); Progress progress = Progress.toStdout()) {
            String name = new ImagePuller(client, address, namespace, snapshotter, progress).pull(reference, target);
            progress.message("pulled " + name + " with snapshotter " + snapshotter);
            return 0;
        } catch (IOException e) {
            return CliErrors.report("rpull", e);
        }
    }
}
