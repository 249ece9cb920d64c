package io.lazysnap.server.debug;

import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.List;
import java.util.Optional;

/**
 * How the running daemon keeps its mounts' FUSE connections, and which mounts it took over from the daemon before
 * it: written at start to {@code <root>/handover/status.json} for {@code lazysnap ls} and {@code doctor}.
 *
 * @param keptBy    {@code systemd}, {@code keeper pid N}, or {@code off}
 * @param takenOver mount points served from connections the previous daemon handed over
 */
public record HandoverStatus(@JsonProperty("keptBy") String keptBy,
                             @JsonProperty("takenOver") List<String> takenOver) {

    private static final ObjectMapper JSON = new ObjectMapper();

    public HandoverStatus {
        takenOver = takenOver == null ? List.of() : List.copyOf(takenOver);
    }

    private static Path file(Path root) {
        return root.resolve("handover").resolve("status.json");
    }

    /** Replaces the root's status atomically; a planted name (a symlink included) is removed, not followed. */
    public void write(Path root) throws IOException {
        Path file = file(root);
        Files.createDirectories(file.getParent());
        Path tmp = file.resolveSibling(file.getFileName() + ".tmp");
        Files.deleteIfExists(tmp);
        try (OutputStream out = Files.newOutputStream(tmp, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE)) {
            JSON.writeValue(out, this);
        }
        Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
    }

    /** What the last daemon of {@code root} wrote, if any. */
    static Optional<HandoverStatus> read(Path root) throws IOException {
        Path file = file(root);
        return Files.isRegularFile(file) ? Optional.of(JSON.readValue(file.toFile(), HandoverStatus.class))
                : Optional.empty();
    }
}
