package io.lazysnap.bench;

import java.util.Arrays;
import java.util.List;
import java.util.function.ToDoubleFunction;

/** Selecting and summarising {@link Measurement}s: a scenario's iterations, and medians over them. */
final class Measurements {

    private Measurements() {
    }

    static List<Measurement> of(List<Measurement> all, String link, String image, String mode) {
        return all.stream().filter(m -> m.link().equals(link) && m.image().equals(image) && m.mode().equals(mode))
                .toList();
    }

    static double median(List<Measurement> ms, ToDoubleFunction<Measurement> value) {
        return median(ms.stream().mapToDouble(value).toArray());
    }

    /** The median; NaN for none. */
    static double median(double[] values) {
        if (values.length == 0) {
            return Double.NaN;
        }
        double[] v = values.clone();
        Arrays.sort(v);
        int mid = v.length / 2;
        return v.length % 2 == 1 ? v[mid] : (v[mid - 1] + v[mid]) / 2;
    }
}
