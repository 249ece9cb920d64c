package io.lazysnap.daemon.pull;

import io.lazysnap.registry.Platform;
import io.lazysnap.registry.Reference;
import io.lazysnap.registry.RegistryClient;
import io.lazysnap.daemon.control.ControlServer;
import io.lazysnap.daemon.control.PullRequest;
import io.lazysnap.daemon.progress.Progress;
import java.io.IOException;
import java.nio.file.Path;
import java.util.Set;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The daemon's side of {@code lazysnap rpull}: pulls with the daemon's warm registry client (the one lazy reads
 * use, with its connections, tokens, mirrors and credentials), and opens the image's layers ahead of containerd's
 * Prepare calls.
 */
public final class PullService implements ControlServer.PullHandler {

    private static final Logger log = LoggerFactory.getLogger(PullService.class);

    private final RegistryClient registry;
    private final Supplier<RegistryClient.Builder> configured;
    private final Set<String> plainHttpHosts;
    private final LayersAhead ahead;
    private final LayerDownloads downloads;

    /**
     * @param registry       the daemon's registry client
     * @param configured     a builder configured like {@code registry}, for pulls with registry settings of their own
     * @param plainHttpHosts the hosts {@code registry} already talks plain HTTP to
     * @param downloads      what the daemon has downloaded of layers it unpacks itself, shown as their progress
     */
    public PullService(RegistryClient registry, Supplier<RegistryClient.Builder> configured,
                       Set<String> plainHttpHosts, LayersAhead ahead, LayerDownloads downloads) {
        this.registry = registry;
        this.configured = configured;
        this.plainHttpHosts = Set.copyOf(plainHttpHosts);
        this.ahead = ahead;
        this.downloads = downloads;
    }

    /**
     * Runs, before the first pull, code the first pull would otherwise run first on its containers' start-up path.
     * Only a speed-up: a failure is logged, and the daemon starts.
     */
    public void warmUp() {
        try {
            PullWarmUp.run();
        } catch (RuntimeException e) {
            log.warn("the start-up run of the pull's code failed; pulls go on, but report this line", e);
        }
    }

    @Override
    public String pull(PullRequest request, Progress progress) throws IOException, InterruptedException {
        Reference reference;
        Platform platform;
        try {
            reference = Reference.parse(request.reference());
            platform = request.platform() != null ? Platform.parse(request.platform())
                    : Platform.of("linux", System.getProperty("os.arch"), "");
        } catch (IllegalArgumentException e) {
            throw new IOException(e.getMessage(), e);
        }
        boolean plainHttp = request.plainHttp() && !plainHttpHosts.contains(reference.registry());
        if (!plainHttp && request.hostsDir() == null) {
            return puller(registry, request, progress).pull(reference, platform);
        }
        RegistryClient.Builder builder = configured.get();
        if (request.hostsDir() != null) {
            builder.hostsDir(Path.of(request.hostsDir()));
        }
        if (plainHttp) {
            builder.plainHttp(reference.registry());
        }
        try (RegistryClient own = builder.build()) {
            return puller(own, request, progress).pull(reference, platform);
        }
    }

    private ImagePuller puller(RegistryClient client, PullRequest request, Progress progress) {
        return new ImagePuller(client, Path.of(request.containerd()), request.namespace(), request.snapshotter(),
                progress, ahead, downloads);
    }
}
