package io.lazysnap.daemon.socket;

import java.io.IOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.SocketChannel;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The files of the daemon's unix sockets: created 0660 (root only: containerd and the tools run as root) in a
 * directory created 0711 if missing; a stale socket left by a dead process is replaced, a live one is an error.
 */
public final class SocketFiles {

    private static final Logger log = LoggerFactory.getLogger(SocketFiles.class);

    private SocketFiles() {
    }

    /** Makes {@code path} free to bind: its directory exists and no socket of a dead process is in the way. */
    public static void claim(Path path) throws IOException {
        Path dir = path.toAbsolutePath().getParent();
        if (Files.notExists(dir)) {
            Files.createDirectories(dir,
                    PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx--x--x")));
        }
        if (!Files.exists(path, LinkOption.NOFOLLOW_LINKS)) {
            return;
        }
        if (Files.isDirectory(path, LinkOption.NOFOLLOW_LINKS) || Files.isRegularFile(path, LinkOption.NOFOLLOW_LINKS)) {
            throw new IOException(path + " exists and is not a socket; choose another --address or remove it");
        }
        if (isLive(path)) {
            throw new IOException(path + " is in use by a running process (another lazysnap?);"
                    + " stop it or choose another --address");
        }
        log.info("replacing stale socket {}", path);
        Files.delete(path);
    }

    /** Restricts a freshly bound socket to root. */
    public static void restrict(Path path) throws IOException {
        // Between bind and chmod the umask-derived mode already denies group/other write, i.e. connect.
        Files.setPosixFilePermissions(path, PosixFilePermissions.fromString("rw-rw----"));
    }

    private static boolean isLive(Path path) {
        try (SocketChannel probe = SocketChannel.open(StandardProtocolFamily.UNIX)) {
            return probe.connect(UnixDomainSocketAddress.of(path));
        } catch (IOException refused) {
            return false;
        }
    }
}
