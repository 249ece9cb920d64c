package io.lazysnap.daemon.testsuite;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.Comparator;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Stream;

/** Compares two directory trees entry by entry: type, mode, owner, content and link targets. */
final class TreeAssert {

    private TreeAssert() {
    }

    static void assertSameTree(Path expected, Path actual) throws IOException {
        assertEquals(describe(expected), describe(actual), "tree " + actual + " differs from " + expected);
    }

    /** One line per entry (root excluded), sorted by path, with everything the testsuite compares. */
    static Map<String, String> describe(Path root) throws IOException {
        Map<String, String> entries = new TreeMap<>();
        try (Stream<Path> walk = Files.walk(root)) {
            for (Path p : (Iterable<Path>) walk::iterator) {
                if (p.equals(root)) {
                    continue;
                }
                Map<String, Object> a = Files.readAttributes(p, "unix:mode,uid,gid,size", LinkOption.NOFOLLOW_LINKS);
                int mode = (Integer) a.get("mode");
                String line = String.format("mode=%o uid=%s gid=%s", mode, a.get("uid"), a.get("gid"));
                if (Files.isSymbolicLink(p)) {
                    line += " -> " + Files.readSymbolicLink(p);
                } else if (Files.isRegularFile(p, LinkOption.NOFOLLOW_LINKS)) {
                    line += " size=" + a.get("size") + " sha256=" + sha256(Files.readAllBytes(p));
                }
                entries.put(root.relativize(p).toString(), line);
            }
        }
        return entries;
    }

    private static String sha256(byte[] content) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(content));
        } catch (NoSuchAlgorithmException e) {
            throw new AssertionError(e);
        }
    }

    static void deleteRecursively(Path path) throws IOException {
        if (!Files.exists(path, LinkOption.NOFOLLOW_LINKS)) {
            return;
        }
        try (Stream<Path> walk = Files.walk(path)) {
            for (Path p : (Iterable<Path>) walk.sorted(Comparator.reverseOrder())::iterator) {
                Files.delete(p);
            }
        }
    }
}
