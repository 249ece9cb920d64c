package io.lazysnap.registry;

/**
 * Request tag set once a request has been routed to a host: tells the retry policy whether giving up quickly is
 * better because another host is waiting, and lets follow-up requests (upload locations) skip routing.
 */
record Attempt(Endpoint endpoint, boolean hasFallback) {
}
