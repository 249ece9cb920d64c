package io.lazysnap.estargz;

import java.util.Map;

/** Checks a fetched TOC against the digests a (verified) manifest's layer descriptor vouches for. */
final class TocVerification {

    private TocVerification() {
    }

    /**
     * @return whether at least one digest annotation was present (and matched)
     * @throws DigestMismatchException if any present annotation disagrees with what was read
     */
    static boolean verify(Map<String, String> annotations, Footer footer, String jsonDigest, String compressedDigest)
            throws DigestMismatchException {
        boolean verified = check(annotations.get(LayerAnnotations.TOC_DIGEST), jsonDigest, "TOC digest");
        if (footer.format() == LayerFormat.ZSTD_CHUNKED) {
            for (String key : new String[] {LayerAnnotations.ZSTD_MANIFEST_CHECKSUM,
                    LayerAnnotations.ZSTD_MANIFEST_CHECKSUM_CONTAINERS}) {
                verified |= check(annotations.get(key), compressedDigest, key);
            }
            String position = footer.tocOffset() + ":" + footer.tocLength() + ":" + footer.tocRawLength() + ":1";
            for (String key : new String[] {LayerAnnotations.ZSTD_MANIFEST_POSITION,
                    LayerAnnotations.ZSTD_MANIFEST_POSITION_CONTAINERS}) {
                String expected = annotations.get(key);
                if (expected != null && !expected.equals(position)) {
                    throw new DigestMismatchException(key + " is " + expected + " but the footer says " + position);
                }
            }
        }
        return verified;
    }

    private static boolean check(String expected, String actual, String what) throws DigestMismatchException {
        if (expected == null) {
            return false;
        }
        if (!expected.equals(actual)) {
            throw new DigestMismatchException(what + " mismatch: annotation " + expected + ", layer has " + actual);
        }
        return true;
    }
}
