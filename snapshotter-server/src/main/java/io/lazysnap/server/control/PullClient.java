package io.lazysnap.server.control;

import io.lazysnap.server.progress.Progress;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStreamWriter;
import java.io.Writer;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.Channels;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

/** The client side of {@link ControlServer}: asks the daemon for a pull and shows its progress here. */
public final class PullClient {

    private PullClient() {
    }

    /**
     * Pulls through the daemon serving containerd on {@code daemonAddress}; returns the containerd image name.
     *
     * @throws IOException with the daemon's reason when the pull failed, or naming the socket when no daemon listens
     */
    public static String pull(Path daemonAddress, PullRequest request, Progress progress) throws IOException {
        Path socket = ControlSocket.of(daemonAddress);
        if (!Files.exists(socket)) {
            throw new IOException("no lazysnap daemon takes pulls at " + socket + ": start it (systemctl start"
                    + " lazysnap, or lazysnap serve) or point --daemon at the socket it serves (serve --address)");
        }
        try (SocketChannel channel = SocketChannel.open(StandardProtocolFamily.UNIX)) {
            try {
                channel.connect(UnixDomainSocketAddress.of(socket));
            } catch (IOException e) {
                throw new IOException("cannot reach the lazysnap daemon at " + socket + " (" + e.getMessage()
                        + "): is it running?", e);
            }
            Writer out = new OutputStreamWriter(Channels.newOutputStream(channel), StandardCharsets.UTF_8);
            out.write(request.toJson() + "\n");
            out.flush();
            BufferedReader in = new BufferedReader(new InputStreamReader(Channels.newInputStream(channel),
                    StandardCharsets.UTF_8));
            PullEvents.Replay replay = new PullEvents.Replay(progress);
            for (String line = in.readLine(); line != null; line = in.readLine()) {
                String image = replay.apply(line);
                if (image != null) {
                    return image;
                }
            }
            throw new IOException("the lazysnap daemon closed the connection before the pull ended (see its log)");
        }
    }
}
