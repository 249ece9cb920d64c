package io.lazysnap.verifier;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;

/**
 * Recent verdicts, so that every layer of an image, and a re-pull, costs no registry request. Bounded (least
 * recently used go first). Refusals live shorter than approvals: a signature pushed after a refusal should be
 * seen soon, while an approval of a digest can only be undone by a policy change, which builds a new cache.
 */
final class VerdictCache {

    private final int maxEntries;
    private final Duration approvedTtl;
    private final Duration refusedTtl;
    private final Clock clock;
    private final Map<String, Entry> entries;

    VerdictCache(int maxEntries, Duration approvedTtl, Duration refusedTtl, Clock clock) {
        this.maxEntries = maxEntries;
        this.approvedTtl = approvedTtl;
        this.refusedTtl = refusedTtl;
        this.clock = clock;
        this.entries = new LinkedHashMap<>(16, 0.75f, true) {
            @Override
            protected boolean removeEldestEntry(Map.Entry<String, Entry> eldest) {
                return size() > VerdictCache.this.maxEntries;
            }
        };
    }

    synchronized Optional<Verdict> get(String key) {
        Entry e = entries.get(key);
        if (e == null) {
            return Optional.empty();
        }
        if (!clock.instant().isBefore(e.expires)) {
            entries.remove(key);
            return Optional.empty();
        }
        return Optional.of(e.verdict);
    }

    synchronized void put(String key, Verdict verdict) {
        Duration ttl = verdict.outcome() == Verdict.Outcome.VERIFIED ? approvedTtl : refusedTtl;
        if (!ttl.isZero()) {
            entries.put(key, new Entry(verdict, clock.instant().plus(ttl)));
        }
    }

    private record Entry(Verdict verdict, Instant expires) {
    }
}
