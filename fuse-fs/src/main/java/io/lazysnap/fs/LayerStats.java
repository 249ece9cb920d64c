package io.lazysnap.fs;

/**
 * What one mounted layer has done so far.
 *
 * @param blobReads              range requests sent to the layer's blob source
 * @param blobBytes              compressed bytes those requests returned
 * @param memoryHits             chunk requests answered by the memory cache
 * @param diskHits               chunk requests answered by the disk cache
 * @param chunksFetched          chunks fetched from the blob, verified and cached
 * @param verificationFailures   fetched chunks that failed decompression or digest verification
 * @param readErrors             reads answered with EIO
 * @param prefetchDone           whether the prefetch of the prioritised files has finished (or was not needed)
 * @param backgroundFetchDone    whether the background fetch has walked the whole layer
 */
public record LayerStats(long blobReads, long blobBytes, long memoryHits, long diskHits, long chunksFetched,
                         long verificationFailures, long readErrors, boolean prefetchDone,
                         boolean backgroundFetchDone) {
}
