package io.lazysnap.daemon.pull;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.lazysnap.registry.Descriptor;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import org.junit.jupiter.api.Test;

class BlobWritesTest {

    private static final byte[] CONFIG = "{}".getBytes(StandardCharsets.UTF_8);
    private static final Descriptor BLOB = Descriptor.of("application/vnd.oci.image.config.v1+json", CONFIG);

    @Test
    void aWriteWaitsForTheLeaseAndFailsWithIt() {
        CompletableFuture<ContentStore> lease = new CompletableFuture<>();
        BlobWrites writes = new BlobWrites(lease);
        CompletableFuture<Boolean> write = writes.start("test-write", BLOB, CONFIG, Map.of(), Map.of());

        assertFalse(write.isDone(), "a write cannot begin before the pull's lease exists");
        lease.completeExceptionally(new IOException("creating a lease: containerd is gone"));

        IOException failure = assertThrows(IOException.class, writes::awaitAll);
        assertEquals("creating a lease: containerd is gone", failure.getMessage());
        writes.close();
    }

    @Test
    void closingEndsTheWritesStartedAndStartsNoMore() throws Exception {
        CompletableFuture<ContentStore> lease = new CompletableFuture<>();
        BlobWrites writes = new BlobWrites(lease);
        CompletableFuture<Boolean> started = writes.start("test-write", BLOB, CONFIG, Map.of(), Map.of());

        writes.close(); // the pull failed before its lease was created: nothing may wait for it any more
        assertTrue(started.isDone(), "close returned while a write could still reach containerd");
        ExecutionException ended = assertThrows(ExecutionException.class, started::get);
        assertEquals("the pull ended before its lease was created", ended.getCause().getMessage());

        CompletableFuture<Boolean> late = writes.start("test-write", BLOB, CONFIG, Map.of(), Map.of());
        ExecutionException refused = assertThrows(ExecutionException.class, late::get);
        assertTrue(refused.getCause().getMessage().contains("the pull ended before " + BLOB.digest()),
                refused.getCause().getMessage());
    }
}
