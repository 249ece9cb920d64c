package io.lazysnap.bench;

/** How a container gets from "pull requested" to running: which client, snapshotter and image encoding. */
enum PullMode {
    /** The baseline: {@code ctr image pull} (containerd's overlayfs snapshotter, whole image) then {@code ctr run}. */
    OVERLAY("overlay", Variant.GZIP, "overlayfs"),
    /** {@code lazysnap rpull} of the eStargz image with prefetch landmarks, then {@code ctr run}. */
    LAZY("lazysnap-rpull", Variant.ESTARGZ, "lazysnap"),
    /** As {@link #LAZY}, eStargz without landmarks: each file is fetched when first read. */
    LAZY_NO_LANDMARKS("lazysnap-rpull-nolm", Variant.ESTARGZ_NO_LANDMARKS, "lazysnap"),
    /** stargz-snapshotter's Go client {@code ctr-remote image rpull} (no JVM start-up) against lazysnap. */
    CTR_REMOTE("ctr-remote-rpull", Variant.ESTARGZ, "lazysnap"),
    /** Kubernetes' path: CRI PullImage, CreateContainer, StartContainer into a ready pod, lazysnap snapshotter. */
    CRI("lazysnap-cri", Variant.ESTARGZ, "lazysnap"),
    /** {@code lazysnap rpull} of the plain gzip image: lazysnap downloads (ranges in parallel) and unpacks it. */
    PLAIN_RPULL("lazysnap-rpull-gzip", Variant.GZIP, "lazysnap"),
    /** As {@link #CRI}, of the plain gzip image: lazysnap's parallel download and unpack behind CRI's Prepares. */
    PLAIN_CRI("lazysnap-cri-gzip", Variant.GZIP, "lazysnap"),
    /**
     * The reference: stargz-snapshotter's own daemon ({@code containerd-stargz-grpc}, its default config) driven by
     * its own client {@code ctr-remote image rpull}, then {@code ctr run}; lazysnap does not run on this node.
     */
    STARGZ_REF("stargz-ref", Variant.ESTARGZ, "stargz");

    final String label;
    final Variant variant;
    final String snapshotter;

    PullMode(String label, Variant variant, String snapshotter) {
        this.label = label;
        this.variant = variant;
        this.snapshotter = snapshotter;
    }

    static PullMode parse(String label) {
        for (PullMode m : values()) {
            if (m.label.equals(label)) {
                return m;
            }
        }
        throw new IllegalArgumentException("no mode " + label);
    }

    boolean lazy() {
        return this != OVERLAY;
    }

    /** Whether the image is pulled by {@code lazysnap rpull}. */
    boolean rpull() {
        return this == LAZY || this == LAZY_NO_LANDMARKS || this == PLAIN_RPULL;
    }

    /** Whether the container is pulled and started through CRI, as the kubelet does. */
    boolean cri() {
        return this == CRI || this == PLAIN_CRI;
    }

    /** The remote snapshotter daemon this mode's node runs (the overlay baseline's node runs lazysnap, idle). */
    Daemon daemon() {
        return this == STARGZ_REF ? Daemon.STARGZ : Daemon.LAZYSNAP;
    }

    /** A remote snapshotter process a node can run; its name is containerd's proxy plugin name. */
    enum Daemon {
        LAZYSNAP("lazysnap"), STARGZ("stargz");

        final String pluginName;

        Daemon(String pluginName) {
            this.pluginName = pluginName;
        }
    }
}
