package io.lazysnap.verifier;

import io.lazysnap.registry.Reference;

/**
 * What the {@code docker-reference} a signature payload names must be. A signature binds the digest either way;
 * this also binds the name, so a signature made for one repository is not accepted for a copy in another.
 */
record SignedReference(String repository) {

    /** The payload must name the repository being pulled (registry and path; tag ignored). The default. */
    static final SignedReference SAME_REPOSITORY = new SignedReference(null);
    /** Any name: only the digest binds, as {@code cosign verify} does. For images copied with their signatures. */
    static final SignedReference ANY = new SignedReference("");

    /** The payload must name this repository, e.g. the origin of a mirrored image. */
    static SignedReference exactly(String repository) {
        return new SignedReference(Reference.parse(repository).name());
    }

    void check(Reference image, String dockerReference) throws Rejected {
        if ("".equals(repository)) {
            return;
        }
        String want = repository != null ? repository : image.name();
        String signed;
        try {
            signed = Reference.parse(dockerReference).name();
        } catch (IllegalArgumentException e) {
            throw new Rejected("the signature names '" + dockerReference + "', which is not an image reference");
        }
        if (!signed.equals(want)) {
            throw new Rejected("the signature is for repository " + signed + ", not " + want
                    + " (set signed_reference in the policy to accept copied signatures)");
        }
    }

    @Override
    public String toString() {
        return repository == null ? "repository" : repository.isEmpty() ? "any" : repository;
    }
}
