package io.lazysnap.daemon.unpack;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.SequenceInputStream;
import java.time.Duration;
import java.util.Arrays;
import java.util.Random;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;

class ReadAheadTest {

    private final byte[] data = new byte[3_000_017];

    {
        new Random(11).nextBytes(data);
    }

    @Test
    void readsTheSourceByteForByteWhateverTheReadSizes() throws IOException {
        ByteArrayOutputStream copy = new ByteArrayOutputStream();
        Random sizes = new Random(3);
        try (ReadAhead in = new ReadAhead(new ByteArrayInputStream(data), "test-read-ahead")) {
            copy.write(in.read());
            assertEquals(1000, in.skip(1000));
            copy.write(data, 1, 1000); // what was skipped: the bytes after it must be where they were
            byte[] buffer = new byte[700_000];
            for (int n = 0; n >= 0; n = in.read(buffer, 0, 1 + sizes.nextInt(buffer.length))) {
                copy.write(buffer, 0, n);
            }
            assertEquals(-1, in.read());
        }
        assertArrayEquals(data, copy.toByteArray());
    }

    @Test
    void aFailureOfTheSourceReachesTheReaderAfterTheBytesBeforeIt() throws IOException {
        IOException broken = new IOException("connection reset");
        InputStream source = new SequenceInputStream(new ByteArrayInputStream(data), new InputStream() {
            @Override
            public int read() throws IOException {
                throw broken;
            }
        });
        try (ReadAhead in = new ReadAhead(source, "test-read-ahead")) {
            byte[] read = in.readNBytes(data.length);
            assertArrayEquals(data, read);
            assertSame(broken, assertThrows(IOException.class, in::read));
            assertSame(broken, assertThrows(IOException.class, in::read), "the failure stays");
        }
    }

    @Test
    void aRuntimeFailureOfTheSourceIsAnIoExceptionForTheReader() throws IOException {
        InputStream source = new InputStream() {
            @Override
            public int read() {
                throw new IllegalStateException("bug");
            }
        };
        try (ReadAhead in = new ReadAhead(source, "test-read-ahead")) {
            IOException e = assertThrows(IOException.class, in::read);
            assertEquals(IllegalStateException.class, e.getCause().getClass());
        }
    }

    @Test
    void closingStopsAThreadWaitingForTheSourceOrForTheReader() throws Exception {
        CountDownLatch reading = new CountDownLatch(1);
        AtomicReference<Thread> thread = new AtomicReference<>();
        InputStream endless = new InputStream() {
            private volatile boolean closed;

            @Override
            public int read() throws IOException {
                byte[] one = new byte[1];
                return read(one, 0, 1) < 0 ? -1 : one[0];
            }

            @Override
            public int read(byte[] b, int off, int len) throws IOException {
                thread.set(Thread.currentThread());
                reading.countDown();
                if (closed) {
                    throw new IOException("closed");
                }
                Arrays.fill(b, off, off + len, (byte) 1);
                return len;
            }

            @Override
            public void close() {
                closed = true;
            }
        };
        assertTimeoutPreemptively(Duration.ofSeconds(10), () -> {
            ReadAhead in = new ReadAhead(endless, "test-read-ahead");
            assertEquals(1, in.read());
            reading.await();
            in.close(); // the thread waits for a free block: the reader takes none
            thread.get().join();
            assertFalse(thread.get().isAlive());
        });
    }
}
