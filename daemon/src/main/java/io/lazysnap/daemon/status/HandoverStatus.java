package io.lazysnap.daemon.status;

import com.fasterxml.jackson.annotation.JsonProperty;
import io.lazysnap.daemon.root.Root;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;

/**
 * How the running daemon keeps its mounts' FUSE connections, and which mounts it took over from the daemon before
 * it: written at start to {@link Root#handoverStatus()} for {@code lazysnap ls} and {@code doctor}.
 *
 * @param keptBy    {@code systemd}, {@code keeper pid N}, or {@code off}
 * @param takenOver mount points served from connections the previous daemon handed over
 */
public record HandoverStatus(@JsonProperty("keptBy") String keptBy,
                             @JsonProperty("takenOver") List<String> takenOver) {


    public HandoverStatus {
        takenOver = takenOver == null ? List.of() : List.copyOf(takenOver);
    }

    /** Replaces the root's status atomically; a planted name (a symlink included) is removed, not followed. */
    public void write(Root root) throws IOException {
        Path file = root.handoverStatus();
        Files.createDirectories(file.getParent());
        JsonFiles.replace(file, this);
    }

    /** What the last daemon of {@code root} wrote, if any. */
    public static Optional<HandoverStatus> read(Root root) throws IOException {
        return JsonFiles.read(root.handoverStatus(), HandoverStatus.class);
    }
}
