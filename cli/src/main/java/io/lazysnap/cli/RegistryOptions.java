package io.lazysnap.cli;

import io.lazysnap.registry.Reference;
import io.lazysnap.registry.RegistryClient;
import java.nio.file.Path;
import picocli.CommandLine.Option;

/** Registry access options shared by the commands that talk to registries. */
final class RegistryOptions {

    @Option(names = "--plain-http", description = "Talk plain HTTP (no TLS) to the registries named on the command line")
    boolean plainHttp;

    @Option(names = "--hosts-dir", paramLabel = "DIR",
            description = "containerd-style certs.d directory of <host>/hosts.toml files (mirrors, TLS, headers)")
    Path hostsDir;

    /** A client for the registries of {@code references}; credentials come from ~/.docker/config.json if present. */
    RegistryClient client(Reference... references) {
        RegistryClient.Builder builder = RegistryClient.builder().userAgent("lazysnap/0.1");
        if (hostsDir != null) {
            builder.hostsDir(hostsDir);
        }
        if (plainHttp) {
            for (Reference r : references) {
                builder.plainHttp(r.registry());
            }
        }
        Path dockerConfig = Path.of(System.getProperty("user.home"), ".docker", "config.json");
        if (java.nio.file.Files.isRegularFile(dockerConfig)) {
            builder.dockerConfig(dockerConfig);
        }
        return builder.build();
    }
}
