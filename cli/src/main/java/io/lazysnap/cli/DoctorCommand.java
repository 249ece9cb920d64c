package io.lazysnap.cli;

import io.lazysnap.daemon.DaemonConfig;
import io.lazysnap.cli.inspect.Doctor;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code lazysnap doctor}: is this node set up to serve containerd lazily? */
@Command(name = "doctor", mixinStandardHelpOptions = true,
        description = {"Check FUSE, overlayfs, the daemon's socket, containerd's proxy plugin and CRI settings, the"
                + " cgroup drivers of containerd and kubelet, the configured registries and mirrors, and the disk,"
                + " and print a fix for each problem.", "Exit status 1 when a check fails."})
final class DoctorCommand implements Callable<Integer> {

    @Option(names = "--config", description = "lazysnap's config file (for root, address and cache limits)")
    Path config;

    @Option(names = "--root", description = "State directory (default: from --config, else "
            + DaemonConfig.DEFAULT_ROOT + ")")
    Path root;

    @Option(names = "--address", description = "The daemon's socket (default: from --config, else "
            + DaemonConfig.DEFAULT_ADDRESS + ")")
    Path address;

    @Option(names = "--containerd-config", description = "default: /etc/containerd/config.toml")
    Path containerdConfig = Path.of("/etc/containerd/config.toml");

    @Option(names = "--kubelet-config", description = "default: /var/lib/kubelet/config.yaml (its cgroupDriver is"
            + " compared with containerd's when both files exist)")
    Path kubeletConfig = Path.of("/var/lib/kubelet/config.yaml");

    @Override
    public Integer call() throws Exception {
        DaemonConfig settings = (config == null ? DaemonConfig.defaults() : DaemonConfig.load(config))
                .withOverrides(root, address);
        return new Doctor(settings, containerdConfig, kubeletConfig).report(System.out) ? 0 : 1;
    }
}
