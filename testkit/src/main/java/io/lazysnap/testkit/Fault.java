package io.lazysnap.testkit;

import io.lazysnap.testkit.FaultProxy.Answer;
import okhttp3.Headers;

import java.io.IOException;
import java.io.OutputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** How a {@link FaultProxy} mistreats one answer of the registry. */
@FunctionalInterface
public interface Fault {

    /** Writes a damaged {@code real} answer to {@code out}, or none at all. */
    void answer(Answer real, Socket client, OutputStream out) throws IOException;

    /** A TCP reset instead of an answer (linger 0 makes close send RST, not FIN). */
    static Fault reset() {
        return (real, client, out) -> {
            client.setSoLinger(true, 0);
            client.close();
        };
    }

    /** This status with an OCI error body instead of the real answer, e.g. 503 from an overloaded registry. */
    static Fault status(int code) {
        byte[] body = "{\"errors\":[{\"code\":\"UNAVAILABLE\",\"message\":\"injected\"}]}"
                .getBytes(StandardCharsets.UTF_8);
        return (real, client, out) -> new Answer(code, Headers.of("Content-Type", "application/json"),
                body, body.length).write(out);
    }

    /** Nothing at all until the client gives up. */
    static Fault stall() {
        return (real, client, out) -> awaitHangUp(client);
    }

    /** The head and half the body, then nothing until the client gives up. */
    static Fault stallMidBody() {
        return (real, client, out) -> {
            real.writeHead(out);
            out.write(real.body(), 0, real.body().length / 2);
            out.flush();
            awaitHangUp(client);
        };
    }

    /** The head declaring the whole body, half the body, then the connection closes. */
    static Fault truncate() {
        return (real, client, out) -> {
            real.writeHead(out);
            out.write(real.body(), 0, real.body().length / 2);
            out.flush();
            client.close();
        };
    }

    /** A well-formed answer whose body, and length, are half the real ones: nothing on the wire is wrong. */
    static Fault shortBody() {
        return (real, client, out) -> real.withBody(Arrays.copyOf(real.body(), real.body().length / 2)).write(out);
    }

    /** The range's bytes, labelled with a {@code Content-Range} one byte further on. */
    static Fault shiftContentRange() {
        return (real, client, out) -> {
            Matcher m = Pattern.compile("bytes (\\d+)-(\\d+)/(\\d+)").matcher(real.headers().get("Content-Range"));
            if (!m.matches()) {
                throw new IllegalStateException("not a range answer: " + real.headers());
            }
            real.withHeader("Content-Range", "bytes " + (Long.parseLong(m.group(1)) + 1) + "-"
                    + (Long.parseLong(m.group(2)) + 1) + "/" + m.group(3)).write(out);
        };
    }

    /** The real answer with the middle byte of its body inverted. */
    static Fault alterMiddleByte() {
        return (real, client, out) -> {
            byte[] altered = real.body().clone();
            altered[altered.length / 2] ^= (byte) 0xff;
            real.withBody(altered).write(out);
        };
    }

    private static void awaitHangUp(Socket client) throws IOException {
        // The client sends nothing more on this connection before its answer, so this returns when it closes.
        client.getInputStream().transferTo(OutputStream.nullOutputStream());
    }
}
