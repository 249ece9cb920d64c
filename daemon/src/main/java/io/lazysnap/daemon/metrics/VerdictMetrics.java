package io.lazysnap.daemon.metrics;

import io.lazysnap.verifier.Verdict;
import io.prometheus.metrics.core.metrics.Counter;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import java.util.Locale;
import java.util.function.Consumer;

/** The signature gate's decisions, one per layer it admits or refuses; rules are as few as the policy's. */
final class VerdictMetrics implements Consumer<Verdict> {

    private final Counter verdicts;

    VerdictMetrics(PrometheusRegistry registry) {
        verdicts = Counter.builder().name("lazysnap_signature_verdicts_total")
                .help("Signature gate decisions per layer, by outcome (verified, skipped, warned, refused) and rule")
                .labelNames("outcome", "rule").register(registry);
    }

    @Override
    public void accept(Verdict verdict) {
        verdicts.labelValues(verdict.outcome().name().toLowerCase(Locale.ROOT), verdict.rule()).inc();
    }
}
