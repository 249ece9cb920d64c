package io.lazysnap.cli.pull;

import io.lazysnap.daemon.control.PullOutcome;
import io.lazysnap.daemon.control.PullRequest;
import io.lazysnap.daemon.control.ControlSocket;
import java.io.BufferedInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.Channels;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * The client side of {@link ControlServer}: asks the daemon for a pull and copies the daemon's rendering of its
 * progress to a console. The launcher's Perl relay ({@code packaging/rpull.pl}) does the same without a JVM.
 */
public final class PullClient {

    private PullClient() {
    }

    /**
     * Pulls through the daemon serving containerd on {@code daemonAddress}, copying its output to {@code console};
     * returns the containerd image name.
     *
     * @throws IOException with the daemon's reason when the pull failed, or naming the socket when no daemon listens
     */
    public static String pull(Path daemonAddress, PullRequest request, OutputStream console) throws IOException {
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
            channel.write(ByteBuffer.wrap((request.toJson() + "\n").getBytes(StandardCharsets.UTF_8)));
            InputStream in = new BufferedInputStream(Channels.newInputStream(channel));
            ByteArrayOutputStream line = new ByteArrayOutputStream();
            for (int b = in.read(); b >= 0; b = in.read()) {
                line.write(b);
                if (b != '\n') {
                    continue;
                }
                String text = line.toString(StandardCharsets.UTF_8);
                if (PullOutcome.isOutcome(text)) {
                    return PullOutcome.image(text.substring(0, text.length() - 1));
                }
                line.writeTo(console);
                console.flush();
                line.reset();
            }
            throw new IOException("the lazysnap daemon closed the connection before the pull ended (see its log)");
        }
    }
}
