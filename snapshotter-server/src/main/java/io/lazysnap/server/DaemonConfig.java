package io.lazysnap.server;

import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonMappingException;
import com.fasterxml.jackson.dataformat.toml.TomlMapper;
import java.io.IOException;
import java.nio.file.Path;

/**
 * The daemon's configuration file (TOML). Unknown keys are rejected so that a typo never silently falls back to
 * a default. Command-line flags override the file.
 */
public record DaemonConfig(@JsonProperty("root") String root, @JsonProperty("address") String address) {

    public static final String DEFAULT_ROOT = "/var/lib/lazysnap";
    public static final String DEFAULT_ADDRESS = "/run/lazysnap/lazysnap.sock";

    public static DaemonConfig defaults() {
        return new DaemonConfig(DEFAULT_ROOT, DEFAULT_ADDRESS);
    }

    public static DaemonConfig load(Path file) throws IOException {
        TomlMapper mapper = TomlMapper.builder().enable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES).build();
        DaemonConfig read;
        try {
            read = mapper.readValue(file.toFile(), DaemonConfig.class);
        } catch (JsonMappingException e) {
            throw new IOException(file + ": " + e.getOriginalMessage() + " (at " + e.getPathReference() + ")", e);
        } catch (IOException e) {
            throw new IOException(file + ": " + e.getMessage(), e);
        }
        return new DaemonConfig(read.root == null ? DEFAULT_ROOT : read.root,
                read.address == null ? DEFAULT_ADDRESS : read.address);
    }

    public DaemonConfig withOverrides(Path root, Path address) {
        return new DaemonConfig(root == null ? this.root : root.toString(),
                address == null ? this.address : address.toString());
    }
}
