package io.lazysnap.bench;

/**
 * What one time-to-first-start iteration saw besides its time, which JMH measures itself.
 *
 * @param millis           pull requested to first line read, as the harness timed it
 * @param bytesBeforeStart bytes the registry sent before the first line
 * @param imageBytes       the compressed size of the image pulled (all layers)
 * @param daemonPeakRss    the remote snapshotter daemon's VmHWM (process tree) after the run, 0 for the
 *                         overlay baseline, where no remote snapshotter takes part
 */
record Measurement(String image, String mode, String link, double millis, long bytesBeforeStart, long imageBytes,
                   long daemonPeakRss) {
}
