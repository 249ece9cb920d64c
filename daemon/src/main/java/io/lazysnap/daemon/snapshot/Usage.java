package io.lazysnap.daemon.snapshot;

/** Disk space a snapshot's own directory uses: bytes of unique inodes and the number of inodes. */
public record Usage(long size, long inodes) {
}
