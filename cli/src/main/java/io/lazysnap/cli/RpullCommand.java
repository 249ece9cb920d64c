package io.lazysnap.cli;

import io.lazysnap.daemon.DaemonConfig;
import io.lazysnap.cli.pull.PullClient;
import io.lazysnap.daemon.control.PullRequest;
import java.io.IOException;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * {@code lazysnap rpull}: asks the running daemon to pull an image into containerd, preparing its layers lazily when
 * it can. The client only sends the request and shows the daemon's progress, so it adds little to a container's
 * start-up.
 */
@Command(name = "rpull", mixinStandardHelpOptions = true,
        description = {"Pull an image into containerd, letting the snapshotter serve eStargz layers lazily.",
                "The lazysnap daemon does the pull; layers it cannot serve are downloaded and unpacked through",
                "containerd. Afterwards:  ctr run --snapshotter lazysnap REF ID"})
final class RpullCommand implements Callable<Integer> {

    @Option(names = "--address", defaultValue = "/run/containerd/containerd.sock",
            description = "containerd's grpc socket (default: ${DEFAULT-VALUE})")
    Path address;

    @Option(names = "--daemon", defaultValue = DaemonConfig.DEFAULT_ADDRESS,
            description = "the lazysnap daemon's socket, as in serve --address (default: ${DEFAULT-VALUE})")
    Path daemon;

    @Option(names = {"--namespace", "-n"}, defaultValue = "default", description = "containerd namespace (default: ${DEFAULT-VALUE})")
    String namespace;

    @Option(names = "--snapshotter", defaultValue = "lazysnap",
            description = "containerd's name for lazysnap, as in [proxy_plugins.NAME] (default: ${DEFAULT-VALUE})")
    String snapshotter;

    @Option(names = "--platform", description = "os/arch[/variant] to pull from a multi-platform image (default: this machine's)")
    String platform;

    @Mixin
    ImageCommandOptions image;

    @Override
    public Integer call() {
        image.logging.apply();
        RegistryOptions registry = image.registry;
        PullRequest request = new PullRequest(image.ref, address.toAbsolutePath().toString(), namespace, snapshotter,
                platform, registry.plainHttp, registry.hostsDir == null ? null
                : registry.hostsDir.toAbsolutePath().toString(), System.console() != null);
        try {
            PullClient.pull(daemon, request, System.out);
            return 0;
        } catch (IOException e) {
            System.out.flush();
            return CliErrors.report("rpull", e);
        }
    }
}
