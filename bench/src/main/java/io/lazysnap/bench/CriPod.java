package io.lazysnap.bench;

import io.grpc.ManagedChannel;
import io.lazysnap.proto.cri.v1.ContainerConfig;
import io.lazysnap.proto.cri.v1.ContainerMetadata;
import io.lazysnap.proto.cri.v1.CreateContainerRequest;
import io.lazysnap.proto.cri.v1.ImageServiceGrpc;
import io.lazysnap.proto.cri.v1.ImageSpec;
import io.lazysnap.proto.cri.v1.LinuxContainerConfig;
import io.lazysnap.proto.cri.v1.LinuxContainerSecurityContext;
import io.lazysnap.proto.cri.v1.LinuxPodSandboxConfig;
import io.lazysnap.proto.cri.v1.LinuxSandboxSecurityContext;
import io.lazysnap.proto.cri.v1.NamespaceMode;
import io.lazysnap.proto.cri.v1.NamespaceOption;
import io.lazysnap.proto.cri.v1.PodSandboxConfig;
import io.lazysnap.proto.cri.v1.PodSandboxMetadata;
import io.lazysnap.proto.cri.v1.PullImageRequest;
import io.lazysnap.proto.cri.v1.RemovePodSandboxRequest;
import io.lazysnap.proto.cri.v1.RunPodSandboxRequest;
import io.lazysnap.proto.cri.v1.RuntimeServiceGrpc;
import io.lazysnap.proto.cri.v1.StartContainerRequest;
import io.lazysnap.proto.cri.v1.StopPodSandboxRequest;
import io.lazysnap.server.grpc.SocketChannels;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * A kubelet's calls over containerd's CRI socket for a one-container, host-network pod. The sandbox is made
 * ready first ({@link #open}); the timed part is {@link #pullAndStart}, which returns when the container's log
 * holds its first stdout line.
 */
final class CriPod implements AutoCloseable {

    private static final NamespaceOption HOST_NETWORK = NamespaceOption.newBuilder()
            .setNetwork(NamespaceMode.NODE).setPid(NamespaceMode.CONTAINER).setIpc(NamespaceMode.POD).build();

    private final ManagedChannel channel;
    private final RuntimeServiceGrpc.RuntimeServiceBlockingStub runtime;
    private final PodSandboxConfig sandbox;
    private final Path logDir;
    private final String podId;

    private CriPod(Node node) throws IOException {
        channel = SocketChannels.open(node.containerdSocket);
        runtime = RuntimeServiceGrpc.newBlockingStub(channel);
        logDir = Files.createDirectories(node.dir.resolve("pod-logs"));
        sandbox = PodSandboxConfig.newBuilder()
                .setMetadata(PodSandboxMetadata.newBuilder().setName("bench").setUid("bench-" + node.dir.getFileName())
                        .setNamespace("bench"))
                .setLogDirectory(logDir.toString())
                .setLinux(LinuxPodSandboxConfig.newBuilder().setSecurityContext(
                        LinuxSandboxSecurityContext.newBuilder().setNamespaceOptions(HOST_NETWORK)))
                .build();
        podId = runtime.withDeadlineAfter(5, TimeUnit.MINUTES)
                .runPodSandbox(RunPodSandboxRequest.newBuilder().setConfig(sandbox).build()).getPodSandboxId();
    }

    /** Runs a ready pod sandbox (its pause image pulled) on {@code node}. */
    static CriPod open(Node node) throws IOException {
        return new CriPod(node);
    }

    /** Pulls {@code image}, creates and starts {@code cmd} in the pod; returns its first stdout line. */
    String pullAndStart(String image, List<String> cmd, Duration timeout) throws Exception {
        ImageServiceGrpc.newBlockingStub(channel).withDeadlineAfter(timeout.toMillis(), TimeUnit.MILLISECONDS)
                .pullImage(PullImageRequest.newBuilder().setImage(ImageSpec.newBuilder().setImage(image)).build());
        String container = runtime.createContainer(CreateContainerRequest.newBuilder().setPodSandboxId(podId)
                .setSandboxConfig(sandbox)
                .setConfig(ContainerConfig.newBuilder()
                        .setMetadata(ContainerMetadata.newBuilder().setName("main"))
                        .setImage(ImageSpec.newBuilder().setImage(image))
                        .addAllCommand(cmd)
                        .setLogPath("main.log")
                        .setLinux(LinuxContainerConfig.newBuilder().setSecurityContext(
                                LinuxContainerSecurityContext.newBuilder().setNamespaceOptions(HOST_NETWORK))))
                .build()).getContainerId();
        runtime.startContainer(StartContainerRequest.newBuilder().setContainerId(container).build());
        return firstStdoutLine(logDir.resolve("main.log"), timeout);
    }

    /** Polls the CRI log ({@code <time> <stream> <tag> <line>} per line) every 5 ms. */
    private static String firstStdoutLine(Path log, Duration timeout) throws Exception {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (System.nanoTime() < deadline) {
            if (Files.exists(log)) {
                for (String line : Files.readAllLines(log)) {
                    String[] f = line.split(" ", 4);
                    if (f.length == 4 && f[1].equals("stdout")) {
                        return f[3];
                    }
                }
            }
            Thread.sleep(5);
        }
        throw new IOException("no stdout in " + log + " after " + timeout);
    }

    @Override
    public void close() {
        try {
            stopPod();
            runtime.removePodSandbox(RemovePodSandboxRequest.newBuilder().setPodSandboxId(podId).build());
        } finally {
            channel.shutdownNow();
        }
    }

    /**
     * Stops the pod. containerd 1.6 can answer "ttrpc: closed" when the stop races the exit of a container whose
     * shim is going away (the workload has printed and exited): asked again a moment later, it finds it gone.
     */
    private void stopPod() {
        for (int attempt = 1; ; attempt++) {
            try {
                runtime.stopPodSandbox(StopPodSandboxRequest.newBuilder().setPodSandboxId(podId).build());
                return;
            } catch (io.grpc.StatusRuntimeException e) {
                String message = String.valueOf(e.getStatus().getDescription());
                if (attempt == 5 || !message.contains("ttrpc: closed")) {
                    throw e;
                }
                try {
                    Thread.sleep(200);
                } catch (InterruptedException interrupted) {
                    Thread.currentThread().interrupt();
                    throw e;
                }
            }
        }
    }
}
