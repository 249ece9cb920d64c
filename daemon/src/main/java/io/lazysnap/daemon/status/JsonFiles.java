package io.lazysnap.daemon.status;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.Optional;

/** The small JSON files the daemon leaves in its root for the client commands ({@code ls}, {@code inspect}, …). */
final class JsonFiles {

    private static final ObjectMapper JSON = new ObjectMapper();

    private JsonFiles() {
    }

    /**
     * Replaces {@code file} with {@code value} atomically. The temporary is a new file or nothing: a leftover or
     * planted name (a symlink included) is removed, not followed.
     */
    static void replace(Path file, Object value) throws IOException {
        Path tmp = file.resolveSibling(file.getFileName() + ".tmp");
        Files.deleteIfExists(tmp);
        try (OutputStream out = Files.newOutputStream(tmp, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE)) {
            JSON.writeValue(out, value);
        }
        Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
    }

    /** What {@code file} holds, if it exists. */
    static <T> Optional<T> read(Path file, Class<T> type) throws IOException {
        return Files.isRegularFile(file) ? Optional.of(JSON.readValue(file.toFile(), type)) : Optional.empty();
    }
}
