package io.lazysnap.daemon.control;

import java.io.FilterOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The connection to a pull's client. When the client has gone (its socket closed), the pull is interrupted: nobody
 * waits for it any more, and its lease is dropped as containerd's own clients drop theirs when cancelled.
 */
final class ClientStream extends FilterOutputStream {

    private static final Logger log = LoggerFactory.getLogger(ClientStream.class);

    private final Thread puller;
    private boolean gone;

    ClientStream(OutputStream out, Thread puller) {
        super(out);
        this.puller = puller;
    }

    @Override
    public synchronized void write(byte[] b, int off, int len) throws IOException {
        try {
            out.write(b, off, len);
        } catch (IOException e) {
            left(e);
            throw e;
        }
    }

    @Override
    public synchronized void write(int b) throws IOException {
        write(new byte[] {(byte) b}, 0, 1);
    }

    @Override
    public synchronized void flush() throws IOException {
        try {
            out.flush();
        } catch (IOException e) {
            left(e);
            throw e;
        }
    }

    private void left(IOException e) {
        if (!gone) {
            gone = true;
            log.info("the client of a pull went away ({}); stopping that pull", e.getMessage());
            puller.interrupt();
        }
    }
}
