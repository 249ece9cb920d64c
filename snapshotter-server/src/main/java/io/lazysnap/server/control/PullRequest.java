package io.lazysnap.server.control;

import com.fasterxml.jackson.annotation.JsonProperty;

/**
 * What {@code lazysnap rpull} asks the daemon to pull, and into which containerd.
 *
 * @param reference   the image reference as the user typed it
 * @param containerd  containerd's gRPC socket
 * @param namespace   the containerd namespace to pull into
 * @param snapshotter containerd's name for lazysnap ({@code [proxy_plugins.NAME]})
 * @param platform    os/arch[/variant] to pick from an index, or null for the daemon's own
 * @param plainHttp   talk plain HTTP to the reference's registry for this pull
 * @param hostsDir    a certs.d directory of hosts.toml files for this pull, or null for the daemon's
 */
public record PullRequest(@JsonProperty("reference") String reference,
                          @JsonProperty("containerd") String containerd,
                          @JsonProperty("namespace") String namespace,
                          @JsonProperty("snapshotter") String snapshotter,
                          @JsonProperty("platform") String platform,
                          @JsonProperty("plain_http") boolean plainHttp,
                          @JsonProperty("hosts_dir") String hostsDir) {
}
