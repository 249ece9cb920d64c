package io.lazysnap.systest;

import io.lazysnap.testkit.Processes;
import java.nio.file.Path;
import java.time.Duration;
import java.util.regex.Pattern;

/** What stat(1), sha256sum(1) and getfattr(1) say about every entry of a tree, for comparing trees exactly. */
final class Trees {

    /** An overlayfs whiteout's mtime is when it was made: containerd does not set it from the layer either. */
    private static final Pattern WHITEOUT_TIME = Pattern.compile("(?m)^(\\S+ 2000 \\d+:\\d+ 0 )\\d+");

    private Trees() {
    }

    /**
     * Per entry, sorted: path, raw mode (type and permissions), owner, size, mtime, device numbers, link count and
     * symlink target (a whiteout's mtime left out); then each regular file's digest; then every extended attribute
     * (trusted.* included).
     */
    static String describe(Path root) throws Exception {
        return WHITEOUT_TIME.matcher(Processes.run(Duration.ofMinutes(5), "sh", "-ec", "cd " + root
                + " && find . -mindepth 1 -print0 | sort -z | xargs -0 stat -c '%n %f %u:%g %s %Y %t:%T %h %N'"
                + " && find . -type f -print0 | sort -z | xargs -0 -r sha256sum"
                + " && { find . -mindepth 1 -print0 | sort -z | xargs -0 getfattr -d -m - -h 2>/dev/null"
                + " | grep -v '^$' || true; }")).replaceAll("$1-");
    }
}
