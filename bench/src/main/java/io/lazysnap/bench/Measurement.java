package io.lazysnap.bench;

/**
 * What one time-to-first-start iteration saw besides its time, which JMH measures itself.
 *
 * @param millis           pull requested to first line read, as the harness timed it
 * @param bytesBeforeStart bytes the registry sent before the first line
 * @param imageBytes       the compressed size of the image pulled (all layers)
 * @param lazysnapPeakRss  the daemon's VmHWM after the run, 0 when lazysnap took no part
 */
record Measurement(String image, String mode, String link, double millis, long bytesBeforeStart, long imageBytes,
                   long lazysnapPeakRss) {
}
