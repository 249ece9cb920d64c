package io.lazysnap.daemon.snapshot;

import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Where the SQLite driver unpacks its JNI library: under the daemon's root, not in {@code /tmp}. The driver unpacks
 * it under a new random name at each start and deletes it only at a clean exit, so every daemon killed (SIGKILL, OOM,
 * power cut) left 1 MiB in {@code /tmp}, for good; and a node whose {@code /tmp} is mounted {@code noexec} could not
 * load it at all.
 */
final class SqliteLibrary {

    private static final String TMPDIR = "org.sqlite.tmpdir";
    /** The driver's names for the library and its lock file. */
    private static final String UNPACKED = "sqlite-";

    /** The directory this class chose, so that an operator's own {@code -Dorg.sqlite.tmpdir} is left alone. */
    private static String chosen;

    private SqliteLibrary() {
    }

    /**
     * Points the driver at {@code dir}, emptied of what earlier daemons unpacked there. Call holding the root's lock
     * (no other daemon uses {@code dir}) and before the first connection of this JVM, which is when the driver
     * unpacks and loads the library.
     */
    static synchronized void unpackUnder(Path dir) throws IOException {
        String current = System.getProperty(TMPDIR);
        if (current != null && !current.equals(chosen)) {
            return;
        }
        Files.createDirectories(dir);
        try (DirectoryStream<Path> stale = Files.newDirectoryStream(dir, UNPACKED + "*")) {
            for (Path file : stale) {
                // A library this JVM has loaded stays mapped when its name goes.
                Files.deleteIfExists(file);
            }
        }
        chosen = dir.toString();
        System.setProperty(TMPDIR, chosen);
    }
}
