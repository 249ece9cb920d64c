package io.lazysnap.estargz;

/**
 * A TOC too large for this JVM's heap to open. The layer may be well formed: a node with a larger heap would serve
 * it lazily, and this one should take it some other way (download it whole) rather than run out of memory.
 */
public final class TocTooLargeException extends LayerFormatException {

    TocTooLargeException(String what, long bytes, long limit) {
        super(String.format(java.util.Locale.ROOT, "%s of %d bytes is more than this JVM can open: opening a TOC"
                + " takes about five times its size in heap, and TOCs are limited to a tenth of the maximum heap (%d"
                + " MiB here), %d bytes; give it a larger heap (-Xmx; for the daemon, LAZYSNAP_JAVA_OPTS in"
                + " /etc/default/lazysnap, see docs/memory.md)", what, bytes,
                Runtime.getRuntime().maxMemory() >> 20, limit));
    }
}
