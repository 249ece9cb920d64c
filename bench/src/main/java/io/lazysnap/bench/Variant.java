package io.lazysnap.bench;

/** How an image's layers are encoded in the registry; each variant is its own tag. */
enum Variant {
    /** Plain {@code tar+gzip}: what every registry holds today, the baseline's input. */
    GZIP("gzip"),
    /** eStargz with the entrypoint's files first, before {@code .prefetch.landmark}: fetched in one request. */
    ESTARGZ("esgz"),
    /** eStargz without landmarks: every file is fetched when first read. */
    ESTARGZ_NO_LANDMARKS("esgz-nolm");

    /** Bump when generated content changes, so cached registry data is not reused. */
    static final String GENERATION = "v2";

    final String tagSuffix;

    Variant(String tagSuffix) {
        this.tagSuffix = tagSuffix;
    }

    String tag() {
        return GENERATION + "-" + tagSuffix;
    }
}
