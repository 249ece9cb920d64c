package io.lazysnap.cli.inspect;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Whether containerd's runc and kubelet drive cgroups the same way ({@code systemd} or {@code cgroupfs}): when
 * they differ, pods fail to start or get killed, which operators tend to blame on the snapshotter. Checked only
 * when both settings can be read.
 */
final class CgroupDrivers {

    private static final Pattern KUBELET_DRIVER = Pattern.compile("(?m)^cgroupDriver:\\s*\"?(\\w+)\"?\\s*$");

    private CgroupDrivers() {
    }

    /** Empty when the containerd config was not parsed or kubelet's config file is absent or unreadable. */
    static Optional<Check> check(JsonNode containerd, Path kubeletConfig) {
        if (containerd == null || !Files.isRegularFile(kubeletConfig)) {
            return Optional.empty();
        }
        String kubelet;
        try {
            Matcher m = KUBELET_DRIVER.matcher(Files.readString(kubeletConfig));
            kubelet = m.find() ? m.group(1) : "cgroupfs"; // KubeletConfiguration's default
        } catch (IOException e) {
            return Optional.empty();
        }
        String runtimeTable = containerdRuntimeTable(containerd);
        JsonNode runtimes = containerd.at(runtimeTable + "/runtimes");
        String runtime = containerd.at(runtimeTable + "/default_runtime_name").asText("runc");
        boolean systemd = runtimes.path(runtime).path("options").path("SystemdCgroup").asBoolean(false);
        String containerdDriver = systemd ? "systemd" : "cgroupfs";
        String subject = "cgroup driver";
        if (containerdDriver.equals(kubelet)) {
            return Optional.of(Check.ok(subject, "containerd (" + runtime + ") and kubelet both use " + kubelet));
        }
        String table = runtimeTable.equals("/plugins/io.containerd.cri.v1.runtime/containerd")
                ? "[plugins.\"io.containerd.cri.v1.runtime\".containerd.runtimes." + runtime + ".options]"
                : "[plugins.\"io.containerd.grpc.v1.cri\".containerd.runtimes." + runtime + ".options]";
        return Optional.of(Check.fail(subject, "containerd (" + runtime + ") uses " + containerdDriver + ", kubelet ("
                + kubeletConfig + ") uses " + kubelet + ": pods fail to start or are killed",
                "make them agree: SystemdCgroup = " + kubelet.equals("systemd") + " in " + table
                        + " and systemctl restart containerd, or cgroupDriver: " + containerdDriver + " in "
                        + kubeletConfig + " and systemctl restart kubelet"));
    }

    /** containerd 2.x keeps runtimes in the CRI runtime plugin, 1.x in the CRI plugin. */
    private static String containerdRuntimeTable(JsonNode containerd) {
        JsonNode v2 = containerd.path("plugins").path("io.containerd.cri.v1.runtime");
        return v2.isMissingNode() ? "/plugins/io.containerd.grpc.v1.cri/containerd"
                : "/plugins/io.containerd.cri.v1.runtime/containerd";
    }
}
