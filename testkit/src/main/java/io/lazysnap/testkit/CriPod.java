package io.lazysnap.testkit;

import io.grpc.StatusRuntimeException;
import io.lazysnap.proto.cri.v1.ContainerConfig;
import io.lazysnap.proto.cri.v1.ContainerMetadata;
import io.lazysnap.proto.cri.v1.ContainerState;
import io.lazysnap.proto.cri.v1.ContainerStatus;
import io.lazysnap.proto.cri.v1.ContainerStatusRequest;
import io.lazysnap.proto.cri.v1.CreateContainerRequest;
import io.lazysnap.proto.cri.v1.ImageSpec;
import io.lazysnap.proto.cri.v1.LinuxContainerConfig;
import io.lazysnap.proto.cri.v1.LinuxContainerSecurityContext;
import io.lazysnap.proto.cri.v1.LinuxPodSandboxConfig;
import io.lazysnap.proto.cri.v1.LinuxSandboxSecurityContext;
import io.lazysnap.proto.cri.v1.NamespaceMode;
import io.lazysnap.proto.cri.v1.NamespaceOption;
import io.lazysnap.proto.cri.v1.PodSandboxConfig;
import io.lazysnap.proto.cri.v1.PodSandboxMetadata;
import io.lazysnap.proto.cri.v1.RemovePodSandboxRequest;
import io.lazysnap.proto.cri.v1.RunPodSandboxRequest;
import io.lazysnap.proto.cri.v1.RuntimeServiceGrpc;
import io.lazysnap.proto.cri.v1.StartContainerRequest;
import io.lazysnap.proto.cri.v1.StopPodSandboxRequest;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;

/**
 * A running host-network pod sandbox of a {@link CriClient}, and its container named {@code main}, whose CRI log
 * ({@code <time> <stream> <tag> <line>} per line) is read back. Closing stops and removes the pod.
 */
public final class CriPod implements AutoCloseable {

    private static final NamespaceOption HOST_NETWORK = NamespaceOption.newBuilder()
            .setNetwork(NamespaceMode.NODE).setPid(NamespaceMode.CONTAINER).setIpc(NamespaceMode.POD).build();
    private static final String LOG = "main.log";

    private final RuntimeServiceGrpc.RuntimeServiceBlockingStub runtime;
    private final PodSandboxConfig sandbox;
    private final Path logDir;
    private final String podId;

    CriPod(CriClient cri, String namespace, String name, Path logDir) throws IOException {
        this.runtime = cri.runtime;
        this.logDir = Files.createDirectories(logDir);
        sandbox = PodSandboxConfig.newBuilder()
                .setMetadata(PodSandboxMetadata.newBuilder().setName(name).setUid(UUID.randomUUID().toString())
                        .setNamespace(namespace))
                .setLogDirectory(logDir.toString())
                .setLinux(LinuxPodSandboxConfig.newBuilder().setSecurityContext(
                        LinuxSandboxSecurityContext.newBuilder().setNamespaceOptions(HOST_NETWORK)))
                .build();
        podId = runtime.withDeadlineAfter(5, TimeUnit.MINUTES)
                .runPodSandbox(RunPodSandboxRequest.newBuilder().setConfig(sandbox).build()).getPodSandboxId();
    }

    /** Creates and starts {@code command} of the pulled {@code image} as the pod's container; returns its id. */
    public String start(String image, List<String> command) {
        String container = runtime.createContainer(CreateContainerRequest.newBuilder().setPodSandboxId(podId)
                .setSandboxConfig(sandbox)
                .setConfig(ContainerConfig.newBuilder()
                        .setMetadata(ContainerMetadata.newBuilder().setName("main"))
                        .setImage(ImageSpec.newBuilder().setImage(image))
                        .addAllCommand(command)
                        .setLogPath(LOG)
                        .setLinux(LinuxContainerConfig.newBuilder().setSecurityContext(
                                LinuxContainerSecurityContext.newBuilder().setNamespaceOptions(HOST_NETWORK))))
                .build()).getContainerId();
        runtime.startContainer(StartContainerRequest.newBuilder().setContainerId(container).build());
        return container;
    }

    public ContainerStatus awaitExit(String container, Duration timeout) throws Exception {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (true) {
            ContainerStatus status = runtime.containerStatus(
                    ContainerStatusRequest.newBuilder().setContainerId(container).build()).getStatus();
            if (status.getState() == ContainerState.CONTAINER_EXITED) {
                return status;
            }
            if (System.nanoTime() > deadline) {
                throw new IOException("container " + container + " still " + status.getState());
            }
            Thread.sleep(100);
        }
    }

    /** The container's stdout lines so far, joined. */
    public String stdout() throws IOException {
        Path log = logDir.resolve(LOG);
        if (!Files.exists(log)) {
            return "";
        }
        return Files.readAllLines(log).stream().map(l -> l.split(" ", 4))
                .filter(f -> f.length == 4 && f[1].equals("stdout")).map(f -> f[3] + "\n")
                .collect(Collectors.joining());
    }

    /** Polls the log every 5 ms for the container's first stdout line. */
    public String firstStdoutLine(Duration timeout) throws Exception {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (System.nanoTime() < deadline) {
            String out = stdout();
            if (!out.isEmpty()) {
                return out.substring(0, out.indexOf('\n'));
            }
            Thread.sleep(5);
        }
        throw new IOException("no stdout in " + logDir.resolve(LOG) + " after " + timeout);
    }

    @Override
    public void close() throws InterruptedException {
        stopPod();
        runtime.removePodSandbox(RemovePodSandboxRequest.newBuilder().setPodSandboxId(podId).build());
    }

    /**
     * Stops the pod. containerd 1.6 can answer "ttrpc: closed" when the stop races the exit of a container whose
     * shim is going away (the workload has printed and exited): asked again a moment later, it finds it gone.
     */
    private void stopPod() throws InterruptedException {
        for (int attempt = 1; ; attempt++) {
            try {
                runtime.stopPodSandbox(StopPodSandboxRequest.newBuilder().setPodSandboxId(podId).build());
                return;
            } catch (StatusRuntimeException e) {
                if (attempt == 5 || !String.valueOf(e.getStatus().getDescription()).contains("ttrpc: closed")) {
                    throw e;
                }
                Thread.sleep(200);
            }
        }
    }
}
