package io.lazysnap.verifier;

import io.lazysnap.registry.Reference;
import io.lazysnap.registry.RegistryClient;
import org.junit.jupiter.api.Test;

import java.net.InetAddress;
import java.net.ServerSocket;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;

import static io.lazysnap.verifier.Fixtures.q;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The entry point's behaviour without a registry: fail closed, skip without network, cache lifetimes. */
class VerifierTest {

    private static final String DIGEST = "sha256:" + "ab".repeat(32);

    private static final String NOBODY = nobodyListening();

    private static String nobodyListening() {
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return "127.0.0.1:" + s.getLocalPort();
        } catch (java.io.IOException e) {
            throw new IllegalStateException(e);
        }
    }

    private static RegistryClient unreachable() {
        return RegistryClient.builder().plainHttp(NOBODY).retries(1, Duration.ofMillis(1), Duration.ofMillis(1)).build();
    }

    @Test
    void anUnreachableRegistryRefusesAndIsNotCached() throws Exception {
        try (RegistryClient registry = unreachable()) {
            Policy policy = Fixtures.policy("[default]\nkeys = [" + q("cosign.pub") + "]\n");
            Verifier verifier = Verifier.builder(policy, registry).build();
            Reference image = Reference.parse(NOBODY + "/app:1");
            Verdict verdict = verifier.verify(image, DIGEST);
            assertEquals(Verdict.Outcome.REFUSED, verdict.outcome());
            assertFalse(verdict.allowed());
            assertTrue(verdict.reason().startsWith("cannot read its signatures: "), verdict.reason());
            assertTrue(verifier.verify(image, DIGEST) != verdict, "not cached: the registry is asked again");
        }
    }

    @Test
    void skipAsksNothingAndWarnProceeds() throws Exception {
        try (RegistryClient registry = unreachable()) {
            Policy policy = Fixtures.policy("[[rule]]\nmatch = [\"skipped.example/**\"]\nmode = \"skip\"\n"
                    + "[default]\nmode = \"warn\"\nkeys = [" + q("cosign.pub") + "]\n");
            Verifier verifier = Verifier.builder(policy, registry).build();
            assertEquals(Verdict.Outcome.SKIPPED, verifier.verify(Reference.parse("skipped.example/a"), DIGEST).outcome());
            Verdict warned = verifier.verify(Reference.parse(NOBODY + "/b"), DIGEST);
            assertEquals(Verdict.Outcome.WARNED, warned.outcome());
            assertTrue(warned.allowed());
        }
    }

    @Test
    void aRuleThatTrustsNobodyRefusesWithWhatToConfigure() throws Exception {
        try (RegistryClient registry = unreachable()) {
            Verifier verifier = Verifier.builder(Fixtures.policy("[default]\nmode = \"enforce\"\n"), registry).build();
            Verdict verdict = verifier.verify(Reference.parse(NOBODY + "/app:1"), DIGEST);
            assertEquals(Verdict.Outcome.REFUSED, verdict.outcome());
            assertTrue(verdict.reason().contains("trusts no signer yet") && verdict.reason().contains("keys = ["),
                    verdict.reason());
            assertFalse(verdict.reason().contains("cannot read"), "no registry asked: " + verdict.reason());
        }
    }

    @Test
    void malformedDigestsAreAProgrammingError() throws Exception {
        try (RegistryClient registry = unreachable()) {
            Verifier verifier = Verifier.builder(Fixtures.policy("[default]\n"), registry).build();
            assertThrows(IllegalArgumentException.class, () -> verifier.verify(Reference.parse("a.example/b"), "latest"));
        }
    }

    @Test
    void approvalsOutliveRefusalsAndTheCacheIsBounded() {
        MutableClock clock = new MutableClock();
        VerdictCache cache = new VerdictCache(2, Duration.ofMinutes(10), Duration.ofSeconds(30), clock);
        cache.put("ok", verdict(Verdict.Outcome.VERIFIED, clock));
        cache.put("no", verdict(Verdict.Outcome.REFUSED, clock));
        clock.now = clock.now.plusSeconds(31);
        assertTrue(cache.get("ok").isPresent());
        assertTrue(cache.get("no").isEmpty());
        clock.now = clock.now.plus(Duration.ofMinutes(10));
        assertTrue(cache.get("ok").isEmpty());

        cache.put("a", verdict(Verdict.Outcome.VERIFIED, clock));
        cache.put("b", verdict(Verdict.Outcome.VERIFIED, clock));
        cache.get("a");
        cache.put("c", verdict(Verdict.Outcome.VERIFIED, clock));
        assertTrue(cache.get("a").isPresent());
        assertTrue(cache.get("b").isEmpty(), "the least recently used goes first");
    }

    private static Verdict verdict(Verdict.Outcome outcome, Clock clock) {
        return new Verdict("img", DIGEST, "default rule", outcome, "why", clock.instant());
    }

    private static final class MutableClock extends Clock {
        Instant now = Instant.parse("2026-01-01T00:00:00Z");

        @Override
        public java.time.ZoneId getZone() {
            return ZoneOffset.UTC;
        }

        @Override
        public Clock withZone(java.time.ZoneId zone) {
            return this;
        }

        @Override
        public Instant instant() {
            return now;
        }
    }
}
