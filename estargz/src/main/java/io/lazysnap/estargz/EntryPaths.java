package io.lazysnap.estargz;

/** Tar/TOC entry names to clean layer-relative paths, refusing anything that could escape the layer root. */
public final class EntryPaths {

    private EntryPaths() {
    }

    /**
     * Cleans {@code raw}: strips {@code ./} prefixes, empty and {@code .} elements and a trailing {@code /}.
     *
     * @return the clean path, {@code ""} for the root
     * @throws LayerFormatException for absolute names, {@code ..} elements, NUL bytes or an empty name
     */
    public static String clean(String raw) throws LayerFormatException {
        if (raw == null || raw.isEmpty()) {
            throw new LayerFormatException("entry has an empty name");
        }
        if (raw.startsWith("/")) {
            throw new LayerFormatException("entry name is absolute: " + quote(raw));
        }
        if (raw.indexOf('\0') >= 0) {
            throw new LayerFormatException("entry name contains NUL: " + quote(raw));
        }
        if (isClean(raw)) {
            return raw;
        }
        StringBuilder clean = new StringBuilder(raw.length());
        for (String element : raw.split("/")) {
            if (element.isEmpty() || element.equals(".")) {
                continue;
            }
            if (element.equals("..")) {
                throw new LayerFormatException("entry name escapes the layer root: " + quote(raw));
            }
            if (clean.length() > 0) {
                clean.append('/');
            }
            clean.append(element);
        }
        return clean.toString();
    }

    /**
     * Whether {@code raw} (not empty, not absolute, no NUL) is clean already: no empty, {@code .} or {@code ..}
     * element and no trailing slash. Most names are, and need no copy.
     */
    private static boolean isClean(String raw) {
        int start = 0;
        for (int i = 0; i <= raw.length(); i++) {
            if (i == raw.length() || raw.charAt(i) == '/') {
                int length = i - start;
                if (length == 0 || length <= 2 && raw.charAt(start) == '.'
                        && (length == 1 || raw.charAt(start + 1) == '.')) {
                    return false;
                }
                start = i + 1;
            }
        }
        return true;
    }

    /** Parent of a clean, non-root path; {@code ""} for top-level entries. */
    public static String parent(String path) {
        int slash = path.lastIndexOf('/');
        return slash < 0 ? "" : path.substring(0, slash);
    }

    /** A name in double quotes, NUL shown as {@code \0}: for error messages. */
    public static String quote(String name) {
        return '"' + name.replace("\0", "\\0") + '"';
    }
}
