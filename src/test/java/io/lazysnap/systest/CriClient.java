package io.lazysnap.systest;

import io.grpc.ManagedChannel;
import io.lazysnap.proto.cri.v1.ContainerConfig;
import io.lazysnap.proto.cri.v1.ContainerMetadata;
import io.lazysnap.proto.cri.v1.ContainerState;
import io.lazysnap.proto.cri.v1.ContainerStatus;
import io.lazysnap.proto.cri.v1.ContainerStatusRequest;
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
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;

/** What a kubelet does to run a one-container, host-network pod, over containerd's CRI socket. */
final class CriClient implements AutoCloseable {

    private static final NamespaceOption HOST_NETWORK = NamespaceOption.newBuilder()
            .setNetwork(NamespaceMode.NODE).setPid(NamespaceMode.CONTAINER).setIpc(NamespaceMode.POD).build();

    private final ManagedChannel channel;
    private final RuntimeServiceGrpc.RuntimeServiceBlockingStub runtime;
    private final ImageServiceGrpc.ImageServiceBlockingStub images;

    CriClient(Path containerdSocket) {
        channel = SocketChannels.open(containerdSocket);
        runtime = RuntimeServiceGrpc.newBlockingStub(channel);
        images = ImageServiceGrpc.newBlockingStub(channel);
    }

    String pull(String image) {
        return images.withDeadlineAfter(5, TimeUnit.MINUTES).pullImage(PullImageRequest.newBuilder()
                .setImage(ImageSpec.newBuilder().setImage(image)).build()).getImageRef();
    }

    /** Runs {@code command} of {@code image} in a new pod and returns its stdout once it exits 0. */
    String runPod(String image, Path logDir, List<String> command) throws Exception {
        String uid = UUID.randomUUID().toString();
        PodSandboxConfig sandbox = PodSandboxConfig.newBuilder()
                .setMetadata(PodSandboxMetadata.newBuilder().setName("pod-" + uid.substring(0, 8)).setUid(uid)
                        .setNamespace("systest"))
                .setLogDirectory(Files.createDirectories(logDir).toString())
                .setLinux(LinuxPodSandboxConfig.newBuilder().setSecurityContext(
                        LinuxSandboxSecurityContext.newBuilder().setNamespaceOptions(HOST_NETWORK)))
                .build();
        String pod = runtime.withDeadlineAfter(5, TimeUnit.MINUTES)
                .runPodSandbox(RunPodSandboxRequest.newBuilder().setConfig(sandbox).build()).getPodSandboxId();
        try {
            pull(image);
            String container = runtime.createContainer(CreateContainerRequest.newBuilder().setPodSandboxId(pod)
                    .setSandboxConfig(sandbox)
                    .setConfig(ContainerConfig.newBuilder()
                            .setMetadata(ContainerMetadata.newBuilder().setName("main"))
                            .setImage(ImageSpec.newBuilder().setImage(image))
                            .addAllCommand(command)
                            .setLogPath("main.log")
                            .setLinux(LinuxContainerConfig.newBuilder().setSecurityContext(
                                    LinuxContainerSecurityContext.newBuilder().setNamespaceOptions(HOST_NETWORK))))
                    .build()).getContainerId();
            runtime.startContainer(StartContainerRequest.newBuilder().setContainerId(container).build());
            ContainerStatus status = awaitExit(container);
            String stdout = stdout(logDir.resolve("main.log"));
            if (status.getExitCode() != 0) {
                throw new IOException("container exited " + status.getExitCode() + " (" + status.getReason() + " "
                        + status.getMessage() + "); output:\n" + stdout);
            }
            return stdout;
        } finally {
            runtime.stopPodSandbox(StopPodSandboxRequest.newBuilder().setPodSandboxId(pod).build());
            runtime.removePodSandbox(RemovePodSandboxRequest.newBuilder().setPodSandboxId(pod).build());
        }
    }

    private ContainerStatus awaitExit(String container) throws Exception {
        long deadline = System.nanoTime() + Duration.ofMinutes(2).toNanos();
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

    /** The stdout lines of a CRI log file ({@code <time> <stream> <tag> <line>} per line), joined. */
    private static String stdout(Path log) throws IOException {
        return Files.readAllLines(log).stream().map(l -> l.split(" ", 4))
                .filter(f -> f.length == 4 && f[1].equals("stdout")).map(f -> f[3] + "\n")
                .collect(Collectors.joining());
    }

    @Override
    public void close() {
        channel.shutdownNow();
    }
}
