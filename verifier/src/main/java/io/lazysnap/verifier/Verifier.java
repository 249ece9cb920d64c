package io.lazysnap.verifier;

import io.lazysnap.registry.Reference;
import io.lazysnap.registry.RegistryClient;
import io.lazysnap.registry.RegistryException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.time.Clock;
import java.time.Duration;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.regex.Pattern;

/**
 * The signature gate's one entry point: may this image manifest be mounted or unpacked on this node? The policy
 * rule that matches the image decides what is asked; the answer is a {@link Verdict} with a reason, never an
 * exception, and it fails closed: an enforcing rule refuses whenever verification cannot succeed, including when
 * the registry cannot be reached. Verdicts are cached per rule, repository and manifest digest, and concurrent
 * questions about one image (every layer of a pull) share one verification. Thread-safe; one per node.
 */
public final class Verifier {

    private static final Logger LOG = LoggerFactory.getLogger(Verifier.class);
    private static final Pattern DIGEST = Pattern.compile("sha256:[a-f0-9]{64}");

    private final Policy policy;
    private final RegistryClient registry;
    private final DigestVerifier digests;
    private final VerdictCache cache;
    private final Clock clock;
    private final ConcurrentHashMap<String, CompletableFuture<Verdict>> inFlight = new ConcurrentHashMap<>();

    private Verifier(Builder b) {
        this.policy = b.policy;
        this.registry = b.registry;
        this.clock = b.clock;
        this.digests = new DigestVerifier(new SignatureFinder(b.registry), b.clock);
        this.cache = new VerdictCache(b.cacheSize, b.approvedTtl, b.refusedTtl, b.clock);
    }

    public static Builder builder(Policy policy, RegistryClient registry) {
        return new Builder(policy, registry);
    }

    public Policy policy() {
        return policy;
    }

    /**
     * The verdict for the manifest {@code manifestDigest} of {@code image}. The manifest is accepted if a signature
     * names it, or names an index that {@code image} resolves to and that lists it (cosign signs the index of a
     * multi-platform image).
     *
     * @param image          the image as pulled; its name selects the rule and, by default, must be the name the
     *                       signature was made for
     * @param manifestDigest the {@code sha256:} digest of the manifest whose layers are about to be used
     * @throws IllegalArgumentException if {@code manifestDigest} is not a sha256 digest
     */
    public Verdict verify(Reference image, String manifestDigest) {
        Objects.requireNonNull(image, "image");
        if (manifestDigest == null || !DIGEST.matcher(manifestDigest).matches()) {
            throw new IllegalArgumentException("manifest digest '" + manifestDigest + "' is not sha256:<64 hex>");
        }
        Rule rule = policy.ruleFor(image);
        if (rule.mode() == Mode.SKIP) {
            return new Verdict(image.toString(), manifestDigest, rule.toString(), Verdict.Outcome.SKIPPED,
                    "the rule skips verification", clock.instant());
        }
        String key = rule.name() + " " + image.name() + "@" + manifestDigest;
        Optional<Verdict> cached = cache.get(key);
        if (cached.isPresent()) {
            return cached.get();
        }
        CompletableFuture<Verdict> mine = new CompletableFuture<>();
        CompletableFuture<Verdict> running = inFlight.putIfAbsent(key, mine);
        if (running != null) {
            return running.join();
        }
        try {
            Verdict verdict = decide(rule, image, manifestDigest, key);
            mine.complete(verdict);
            return verdict;
        } catch (RuntimeException e) {
            // A bug must not open the gate: refuse (or warn), and let the next call try again.
            Verdict verdict = failed(rule, image, manifestDigest, "verification failed unexpectedly: " + e);
            LOG.error("verifying {} ({}) failed unexpectedly", image, manifestDigest, e);
            mine.complete(verdict);
            return verdict;
        } finally {
            inFlight.remove(key, mine);
        }
    }

    /**
     * The verdict for what {@code image} names now: its digest if it has one, else what its tag resolves to (an
     * index or a manifest). For the CLI; the gate uses {@link #verify(Reference, String)} with the digest it pulls.
     *
     * @throws IOException if the tag cannot be resolved
     */
    public Verdict verify(Reference image) throws IOException {
        if (image.digest().isPresent()) {
            return verify(image, image.digest().get());
        }
        String digest;
        try {
            digest = registry.index(image).descriptor().digest();
        } catch (RegistryException e) {
            if (e.isNotFound()) {
                throw e;
            }
            digest = registry.manifest(image).descriptor().digest();
        }
        return verify(image, digest);
    }

    private Verdict decide(Rule rule, Reference image, String digest, String key) {
        if (rule.signers().keys().isEmpty() && rule.signers().identities().isEmpty()) {
            // The shipped first-run policy (enforce, nobody trusted yet) or a rejecting rule: ask no registry.
            Verdict nobody = failed(rule, image, digest, rule.rejects() ? "the policy rejects these images"
                    : "the rule trusts no signer yet: add the public key its images are signed with"
                    + " (keys = [\"cosign.pub\"]) or a keyless identity to the policy, or a skip or warn rule for"
                    + " images nobody signs (verifier/README.md)");
            LOG.warn("{}", nobody);
            cache.put(key, nobody);
            return nobody;
        }
        Verdict verdict;
        try {
            verdict = new Verdict(image.toString(), digest, rule.toString(), Verdict.Outcome.VERIFIED,
                    "signed by " + signer(rule, image, digest), clock.instant());
            LOG.info("{}", verdict);
        } catch (Rejected e) {
            verdict = failed(rule, image, digest, e.getMessage());
            LOG.warn("{}", verdict);
        } catch (IOException e) {
            // Not cached: the registry may answer on the next try.
            Verdict notCached = failed(rule, image, digest, "cannot read its signatures: " + e.getMessage());
            LOG.warn("{}", notCached);
            return notCached;
        }
        cache.put(key, verdict);
        return verdict;
    }

    private String signer(Rule rule, Reference image, String digest) throws Rejected, IOException {
        try {
            return digests.verify(rule, image, digest);
        } catch (Rejected direct) {
            Optional<String> index = indexListing(image, digest);
            if (index.isEmpty()) {
                throw direct;
            }
            try {
                return digests.verify(rule, image, index.get()) + " (for its index " + index.get() + ")";
            } catch (Rejected viaIndex) {
                throw new Rejected(direct.getMessage() + "; and for its index " + index.get() + ": "
                        + viaIndex.getMessage());
            }
        }
    }

    /** The digest of the index {@code image} names, if that index lists {@code digest}. */
    private Optional<String> indexListing(Reference image, String digest) {
        if (image.tag().isEmpty() && image.digest().map(digest::equals).orElse(false)) {
            return Optional.empty();
        }
        try {
            var index = registry.index(image);
            return index.manifests().stream().anyMatch(d -> d.digest().equals(digest))
                    ? Optional.of(index.descriptor().digest()) : Optional.empty();
        } catch (IOException e) {
            LOG.debug("{} names no index listing {}: {}", image, digest, e.getMessage());
            return Optional.empty();
        }
    }

    private Verdict failed(Rule rule, Reference image, String digest, String reason) {
        return new Verdict(image.toString(), digest, rule.toString(),
                rule.mode() == Mode.WARN ? Verdict.Outcome.WARNED : Verdict.Outcome.REFUSED, reason, clock.instant());
    }

    /** Configures a {@link Verifier}. */
    public static final class Builder {
        private final Policy policy;
        private final RegistryClient registry;
        private Duration approvedTtl = Duration.ofMinutes(10);
        private Duration refusedTtl = Duration.ofSeconds(30);
        private int cacheSize = 10_000;
        private Clock clock = Clock.systemUTC();

        private Builder(Policy policy, RegistryClient registry) {
            this.policy = Objects.requireNonNull(policy, "policy");
            this.registry = Objects.requireNonNull(registry, "registry");
        }

        /** How long an approval is reused without asking the registry again (default 10 min; 0: never). */
        public Builder approvedTtl(Duration ttl) {
            this.approvedTtl = requireNotNegative(ttl);
            return this;
        }

        /** How long a refusal is reused (default 30 s; 0: never), so a late signature is seen soon. */
        public Builder refusedTtl(Duration ttl) {
            this.refusedTtl = requireNotNegative(ttl);
            return this;
        }

        /** How many verdicts are kept (default 10,000). */
        public Builder cacheSize(int entries) {
            if (entries < 1) {
                throw new IllegalArgumentException("cacheSize must be positive, not " + entries);
            }
            this.cacheSize = entries;
            return this;
        }

        Builder clock(Clock clock) {
            this.clock = Objects.requireNonNull(clock);
            return this;
        }

        public Verifier build() {
            return new Verifier(this);
        }

        private static Duration requireNotNegative(Duration ttl) {
            if (ttl.isNegative()) {
                throw new IllegalArgumentException("a TTL must not be negative, not " + ttl);
            }
            return ttl;
        }
    }
}
