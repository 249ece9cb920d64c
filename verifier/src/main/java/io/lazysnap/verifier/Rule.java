package io.lazysnap.verifier;

import io.lazysnap.registry.Reference;

import java.util.List;
import java.util.stream.Collectors;

/**
 * One policy rule: which images it governs, what it does with them, and whose signatures it accepts.
 *
 * @param signatureRepository where signatures are stored instead of the image's repository, or null
 * @param rejects             refuses every image it matches, by design (containers-policy.json's {@code reject})
 */
record Rule(String name, List<RepositoryGlob> match, Mode mode, Signers signers, SignedReference signedReference,
            Reference signatureRepository, boolean rejects) {

    Rule {
        match = List.copyOf(match);
    }

    boolean matches(Reference image) {
        String name = PolicyNames.of(image);
        return match.stream().anyMatch(g -> g.matches(name));
    }

    /** The repository holding {@code image}'s signatures. */
    Reference signaturesOf(Reference image) {
        return signatureRepository != null ? signatureRepository : image;
    }

    @Override
    public String toString() {
        return match.isEmpty() ? name
                : name + " [" + match.stream().map(RepositoryGlob::toString).collect(Collectors.joining(", ")) + "]";
    }
}
