package io.lazysnap.daemon.control;

import java.io.IOException;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * What {@code lazysnap rpull} asks the daemon to pull, and into which containerd: the first line on the control
 * socket, a JSON object with these fields ({@code plain_http}, {@code hosts_dir} in snake case).
 *
 * @param reference   the image reference as the user typed it
 * @param containerd  containerd's gRPC socket
 * @param namespace   the containerd namespace to pull into
 * @param snapshotter containerd's name for lazysnap ({@code [proxy_plugins.NAME]})
 * @param platform    os/arch[/variant] to pick from an index, or null for the daemon's own
 * @param plainHttp   talk plain HTTP to the reference's registry for this pull
 * @param hostsDir    a certs.d directory of hosts.toml files for this pull, or null for the daemon's
 * @param terminal    the client's output is a terminal: progress is drawn as bars, else printed as plain lines
 */
public record PullRequest(String reference, String containerd, String namespace, String snapshotter, String platform,
                          boolean plainHttp, String hostsDir, boolean terminal) {

    public String toJson() {
        Map<String, Object> fields = new LinkedHashMap<>();
        fields.put("reference", reference);
        fields.put("containerd", containerd);
        fields.put("namespace", namespace);
        fields.put("snapshotter", snapshotter);
        fields.put("platform", platform);
        fields.put("plain_http", plainHttp);
        fields.put("hosts_dir", hostsDir);
        fields.put("terminal", terminal);
        return FlatJson.write(fields);
    }

    /** @throws IOException if the line is not such an object, or lacks a field the pull needs */
    static PullRequest fromJson(String line) throws IOException {
        Map<String, Object> f = FlatJson.read(line);
        PullRequest request = new PullRequest(string(f, "reference"), string(f, "containerd"), string(f, "namespace"),
                string(f, "snapshotter"), string(f, "platform"), FlatJson.flag(f, "plain_http"),
                string(f, "hosts_dir"), FlatJson.flag(f, "terminal"));
        for (String required : new String[] {"reference", "containerd", "namespace", "snapshotter"}) {
            if (string(f, required) == null) {
                throw new IOException("the request has no \"" + required + "\"");
            }
        }
        return request;
    }

    private static String string(Map<String, Object> fields, String name) {
        return fields.get(name) instanceof String s ? s : null;
    }
}
