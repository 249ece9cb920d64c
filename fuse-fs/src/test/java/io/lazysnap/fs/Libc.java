package io.lazysnap.fs;

import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Map;
import jnr.ffi.LibraryLoader;

/** Extended attributes in every namespace (the JDK only reads {@code user.*}), through libc. */
final class Libc {

    public interface C {
        long lgetxattr(String path, String name, byte[] value, long size);

        long llistxattr(String path, byte[] list, long size);
    }

    private static final C C = LibraryLoader.create(C.class).load("c");

    private Libc() {
    }

    /** All extended attributes of a path (not following symlinks). */
    static Map<String, byte[]> xattrs(java.nio.file.Path path) {
        String p = path.toString();
        byte[] names = new byte[64 * 1024];
        long n = C.llistxattr(p, names, names.length);
        if (n < 0) {
            throw new AssertionError("llistxattr " + p + " failed");
        }
        Map<String, byte[]> out = new LinkedHashMap<>();
        int start = 0;
        for (int i = 0; i < n; i++) {
            if (names[i] == 0) {
                String name = new String(names, start, i - start, StandardCharsets.UTF_8);
                byte[] value = new byte[64 * 1024];
                long len = C.lgetxattr(p, name, value, value.length);
                if (len < 0) {
                    throw new AssertionError("lgetxattr " + p + " " + name + " failed");
                }
                out.put(name, java.util.Arrays.copyOf(value, (int) len));
                start = i + 1;
            }
        }
        return out;
    }
}
