package io.lazysnap.server;

import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonMappingException;
import com.fasterxml.jackson.dataformat.toml.TomlMapper;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;

/**
 * The daemon's configuration file (TOML). Every key is optional; unknown keys are rejected so that a typo never
 * silently falls back to a default. Command-line flags override the file.
 *
 * @param root               state directory
 * @param address            the gRPC socket containerd's proxy plugin connects to
 * @param allowUnverifiedToc serve eStargz layers lazily even without a TOC digest annotation (chunks are still
 *                           checked against the TOC, but the TOC itself is then unauthenticated)
 * @param noPrefetch         do not fetch a layer's prioritised files at mount (stargz-snapshotter's name)
 * @param noBackgroundFetch  do not fetch the rest of a layer in the background (stargz-snapshotter's name)
 * @param registry           how to reach registries
 * @param cache              chunk cache sizes
 * @param policy             the signature policy file (TOML, see the verifier module); none: images are not checked
 * @param metricsAddress     {@code host:port} serving Prometheus metrics at {@code /metrics}; none: no endpoint
 *                           (stargz-snapshotter's name)
 * @param logFormat          {@code text} (default) or {@code json}: one JSON object per line, for log collectors
 */
public record DaemonConfig(@JsonProperty("root") String root,
                           @JsonProperty("address") String address,
                           @JsonProperty("allow_unverified_toc") Boolean allowUnverifiedToc,
                           @JsonProperty("noprefetch") Boolean noPrefetch,
                           @JsonProperty("no_background_fetch") Boolean noBackgroundFetch,
                           @JsonProperty("registry") Registry registry,
                           @JsonProperty("cache") Cache cache,
                           @JsonProperty("policy") String policy,
                           @JsonProperty("metrics_address") String metricsAddress,
                           @JsonProperty("log_format") String logFormat) {

    public static final String DEFAULT_ROOT = "/var/lib/lazysnap";
    public static final String DEFAULT_ADDRESS = "/run/lazysnap/lazysnap.sock";

    /**
     * @param hostsDir     containerd-style {@code certs.d} directory of {@code <host>/hosts.toml} files
     * @param plainHttp    registry hosts ({@code host:port}) spoken to over plain HTTP
     * @param dockerConfig docker {@code config.json} with credentials
     */
    public record Registry(@JsonProperty("hosts_dir") String hostsDir,
                           @JsonProperty("plain_http") List<String> plainHttp,
                           @JsonProperty("docker_config") String dockerConfig) {

        public Registry {
            hostsDir = hostsDir == null ? "/etc/containerd/certs.d" : hostsDir;
            plainHttp = plainHttp == null ? List.of() : List.copyOf(plainHttp);
            dockerConfig = dockerConfig == null ? System.getProperty("user.home") + "/.docker/config.json" : dockerConfig;
        }
    }

    /**
     * @param memoryBytes    decompressed chunks kept in memory
     * @param diskHighBytes  the on-disk chunk cache ({@code <root>/cache}) is trimmed when it grows past this...
     * @param diskLowBytes   ...down to this, least recently used first
     */
    public record Cache(@JsonProperty("memory_bytes") Long memoryBytes,
                        @JsonProperty("disk_high_bytes") Long diskHighBytes,
                        @JsonProperty("disk_low_bytes") Long diskLowBytes) {

        public Cache {
            memoryBytes = memoryBytes == null ? 256L << 20 : memoryBytes;
            diskHighBytes = diskHighBytes == null ? 10L << 30 : diskHighBytes;
            diskLowBytes = diskLowBytes == null ? diskHighBytes * 8 / 10 : diskLowBytes;
        }
    }

    public DaemonConfig {
        root = root == null ? DEFAULT_ROOT : root;
        address = address == null ? DEFAULT_ADDRESS : address;
        allowUnverifiedToc = allowUnverifiedToc != null && allowUnverifiedToc;
        noPrefetch = noPrefetch != null && noPrefetch;
        noBackgroundFetch = noBackgroundFetch != null && noBackgroundFetch;
        registry = registry == null ? new Registry(null, null, null) : registry;
        cache = cache == null ? new Cache(null, null, null) : cache;
        logFormat = logFormat == null ? "text" : logFormat;
        if (!logFormat.equals("text") && !logFormat.equals("json")) {
            throw new IllegalArgumentException("log_format must be \"text\" or \"json\", not \"" + logFormat + "\"");
        }
    }

    public static DaemonConfig defaults() {
        return new DaemonConfig(null, null, null, null, null, null, null, null, null, null);
    }

    /** Defaults with another state directory and socket, as tests and {@code serve --root/--address} use. */
    public static DaemonConfig at(Path root, Path address) {
        return defaults().withOverrides(root, address);
    }

    public static DaemonConfig load(Path file) throws IOException {
        TomlMapper mapper = TomlMapper.builder().enable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES).build();
        try {
            DaemonConfig read = mapper.readValue(file.toFile(), DaemonConfig.class);
            return read == null ? defaults() : read;
        } catch (JsonMappingException e) {
            throw new IOException(file + ": " + e.getOriginalMessage() + " (at " + e.getPathReference() + ")", e);
        } catch (IOException e) {
            throw new IOException(file + ": " + e.getMessage(), e);
        }
    }

    public DaemonConfig withOverrides(Path root, Path address) {
        return new DaemonConfig(root == null ? this.root : root.toString(),
                address == null ? this.address : address.toString(), allowUnverifiedToc, noPrefetch,
                noBackgroundFetch, registry, cache, policy, metricsAddress, logFormat);
    }
}
