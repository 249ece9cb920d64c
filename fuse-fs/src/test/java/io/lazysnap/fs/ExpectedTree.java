package io.lazysnap.fs;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.TreeMap;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveInputStream;

/**
 * What a mount of a layer must show, read from the layer's tar with commons-compress, with overlayfs's view of
 * whiteouts applied: {@code .wh.NAME} becomes a 0/0 character device {@code NAME}, {@code .wh..wh..opq} becomes
 * {@code trusted.overlay.opaque=y} on its directory, and neither marker is listed.
 */
final class ExpectedTree {

    /** One object as {@code lstat} and friends must report it. */
    record Node(String path, char type, byte[] content, String link, int mode, long uid, long gid, Instant mtime,
                int major, int minor, Map<String, byte[]> xattrs) {
    }

    final Map<String, Node> nodes = new TreeMap<>();

    static ExpectedTree of(byte[] tar) throws IOException {
        ExpectedTree t = new ExpectedTree();
        t.nodes.put("", new Node("", 'd', null, null, 0755, 0, 0, null, 0, 0, new LinkedHashMap<>()));
        try (TarArchiveInputStream in = new TarArchiveInputStream(new ByteArrayInputStream(tar))) {
            for (TarArchiveEntry e = in.getNextEntry(); e != null; e = in.getNextEntry()) {
                t.add(e, in.readAllBytes());
            }
        }
        return t;
    }

    private void add(TarArchiveEntry e, byte[] content) {
        String path = clean(e.getName());
        String parent = path.contains("/") ? path.substring(0, path.lastIndexOf('/')) : "";
        String name = path.substring(path.lastIndexOf('/') + 1);
        if (name.equals(".wh..wh..opq")) {
            nodes.get(parent).xattrs().put("trusted.overlay.opaque", "y".getBytes(StandardCharsets.US_ASCII));
            return;
        }
        Map<String, byte[]> xattrs = new LinkedHashMap<>();
        e.getExtraPaxHeaders().forEach((k, v) -> {
            if (k.startsWith("SCHILY.xattr.")) {
                xattrs.put(k.substring("SCHILY.xattr.".length()), v.getBytes(StandardCharsets.UTF_8));
            }
        });
        char type = e.isDirectory() ? 'd' : e.isSymbolicLink() ? 'l' : e.isLink() ? 'h'
                : e.isCharacterDevice() ? 'c' : e.isBlockDevice() ? 'b' : e.isFIFO() ? 'p' : 'f';
        String link = type == 'h' ? clean(e.getLinkName()) : type == 'l' ? e.getLinkName() : null;
        Node n = new Node(path, type, content, link, e.getMode() & 07777, e.getLongUserId(), e.getLongGroupId(),
                e.getModTime().toInstant(), e.getDevMajor(), e.getDevMinor(), xattrs);
        addImplicitParents(parent);
        if (name.startsWith(".wh.")) {
            String hidden = (parent.isEmpty() ? "" : parent + "/") + name.substring(4);
            nodes.putIfAbsent(hidden, new Node(hidden, 'c', null, null, n.mode(), n.uid(), n.gid(), n.mtime(), 0, 0,
                    Map.of()));
        } else if (path.isEmpty()) {
            nodes.put("", new Node("", 'd', null, null, n.mode(), n.uid(), n.gid(), n.mtime(), 0, 0, xattrs));
        } else {
            nodes.put(path, n);
        }
    }

    /** Directories a tar implies without listing them: the TOC gives them mode 0755, owner 0 and no mtime. */
    private void addImplicitParents(String dir) {
        if (!nodes.containsKey(dir)) {
            addImplicitParents(dir.contains("/") ? dir.substring(0, dir.lastIndexOf('/')) : "");
            nodes.put(dir, new Node(dir, 'd', null, null, 0755, 0, 0, Instant.EPOCH, 0, 0, new LinkedHashMap<>()));
        }
    }

    /** The node a name stands for: a hardlink's target, the node itself otherwise. */
    Node resolve(Node n) {
        return n.type() == 'h' ? nodes.get(n.link()) : n;
    }

    /** Names (the node itself and hardlinks to it) of a non-directory. */
    long names(Node target) {
        return nodes.values().stream().filter(n -> resolve(n) == target).count();
    }

    static String clean(String name) {
        String p = name;
        while (p.startsWith("./")) {
            p = p.substring(2);
        }
        if (p.equals(".")) {
            p = "";
        }
        while (p.endsWith("/")) {
            p = p.substring(0, p.length() - 1);
        }
        return p;
    }
}
