package io.lazysnap.fs;

import java.io.IOException;
import java.nio.file.FileStore;
import java.nio.file.Files;
import java.nio.file.Path;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** How full the file system holding a directory is; a seam so that tests can fake a full disk. */
interface DiskSpace {

    /**
     * @param totalBytes     the file system's size
     * @param availableBytes what unprivileged writers may still use (statvfs {@code f_bavail}, as kubelet counts)
     */
    record Usage(long totalBytes, long availableBytes) {

        static final Usage UNKNOWN = new Usage(0, 0);

        long usedBytes() {
            return totalBytes - availableBytes;
        }

        /** {@code bytes} as a percentage of the file system; 0 when its size is unknown. */
        double percentOf(long bytes) {
            return totalBytes <= 0 ? 0 : 100.0 * bytes / totalBytes;
        }

        long bytesAtPercent(int percent) {
            return totalBytes / 100 * percent;
        }
    }

    /** Never throws: an unreadable file system reports {@link Usage#UNKNOWN}, which bounds nothing. */
    Usage usage();

    /** The file system of {@code directory}, looked up once (that reads the mount table), then one statvfs a call. */
    static DiskSpace of(Path directory) throws IOException {
        FileStore store = Files.getFileStore(directory);
        Logger log = LoggerFactory.getLogger(DiskSpace.class);
        return () -> {
            try {
                return new Usage(store.getTotalSpace(), store.getUsableSpace());
            } catch (IOException e) {
                log.debug("cannot stat the file system of {}: {}", directory, e.toString());
                return Usage.UNKNOWN;
            }
        };
    }
}
