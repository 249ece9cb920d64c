package io.lazysnap.daemon.remote;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import io.lazysnap.estargz.BlobSource;
import io.lazysnap.estargz.MemoryBlob;
import io.lazysnap.registry.Descriptor;
import io.lazysnap.registry.MediaTypes;
import io.lazysnap.registry.Reference;
import io.lazysnap.registry.RegistryClient;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** A layer's end read before its manifest serves exactly the reads it covers, and nothing when it cannot be trusted. */
class EarlyTailTest {

    private static final byte[] BLOB = new byte[20_000];

    static {
        new Random(7).nextBytes(BLOB);
    }

    private final ExecutorService executor = Executors.newSingleThreadExecutor();
    private MockBlobRegistry server;
    private RegistryClient registry;
    private Reference image;
    private Descriptor layer;

    @BeforeEach
    void start() throws Exception {
        server = new MockBlobRegistry();
        registry = RegistryClient.builder().plainHttp(server.host()).retries(1, Duration.ZERO, Duration.ZERO).build();
        image = Reference.parse(server.host() + "/team/app:v1");
        layer = Descriptor.of(MediaTypes.OCI_LAYER_GZIP, BLOB);
        server.blob(BLOB);
    }

    @AfterEach
    void stop() throws Exception {
        executor.shutdownNow();
        registry.close();
        server.close();
    }

    @Test
    void readsWithinTheEndAreServedFromItAndReadsReachingIntoItFetchOnlyWhatItLacks() throws Exception {
        BlobSource blob = EarlyTail.start(registry, image, layer.digest(), 4096, executor)
                .over(registry.blobSource(image, layer), BLOB.length);
        assertArrayEquals(slice(BLOB.length - 51, 51), blob.read(BLOB.length - 51, 51));
        assertArrayEquals(slice(BLOB.length - 4096, 4096), blob.read(BLOB.length - 4096, 4096));
        assertEquals(List.of("bytes=-4096"), ranges(), "the footer and the whole end came from the early read");

        assertArrayEquals(slice(BLOB.length - 6000, 6000), blob.read(BLOB.length - 6000, 6000));
        assertArrayEquals(slice(100, 50), blob.read(100, 50));
        assertEquals(List.of("bytes=-4096", "bytes=14000-15903", "bytes=100-149"), ranges(),
                "a read reaching into the end fetched only the part before it; one before it fetched as usual");
    }

    @Test
    void readsPieceByPieceGoToTheRegistryBeforeTheEndAndAreServedFromTheEndWithinIt() throws Exception {
        BlobSource registryBlob = registry.blobSource(image, layer);
        List<String> pieceByPiece = new ArrayList<>();
        BlobSource noting = BlobSource.decorate(registryBlob, registryBlob::read, (offset, length, receiver) -> {
            pieceByPiece.add(offset + "+" + length);
            registryBlob.read(offset, length, receiver);
        });
        BlobSource blob = EarlyTail.start(registry, image, layer.digest(), 4096, executor).over(noting, BLOB.length);
        assertArrayEquals(slice(1000, 5000), PieceByPiece.read(blob, 1000, 5000));
        assertArrayEquals(slice(BLOB.length - 6000, 6000), PieceByPiece.read(blob, BLOB.length - 6000, 6000));
        assertEquals(List.of("bytes=-4096", "bytes=1000-5999", "bytes=14000-15903"), ranges(),
                "one range before the end, and only the part before the end of one reaching into it");
        assertEquals(List.of("1000+5000"), pieceByPiece, "the range before the end went on piece by piece");
    }

    @Test
    void anEndOfAnotherSizeThanTheManifestsIsNotUsed() throws Exception {
        BlobSource blob = EarlyTail.start(registry, image, layer.digest(), 4096, executor)
                .over(registry.blobSource(image, layer), BLOB.length + 1);
        blob.read(BLOB.length - 51, 51);
        assertEquals(List.of("bytes=-4096", "bytes=" + (BLOB.length - 51) + "-" + (BLOB.length - 1)), ranges());
    }

    @Test
    void aFailedEarlyReadLeavesTheBlobToBeReadAsUsual() throws Exception {
        // The registry has no such blob (404): the early read fails, and reads go to the blob source given.
        BlobSource blob = EarlyTail.start(registry, image, "sha256:" + "0".repeat(64), 4096, executor)
                .over(new MemoryBlob(BLOB), BLOB.length);
        assertArrayEquals(slice(BLOB.length - 51, 51), blob.read(BLOB.length - 51, 51));
    }

    private static byte[] slice(int offset, int length) {
        return Arrays.copyOfRange(BLOB, offset, offset + length);
    }

    /** The Range headers the layer's blob was asked for with, in order. */
    private List<String> ranges() {
        return server.events().stream().filter(e -> e.startsWith("asked /v2/team/app/blobs/"))
                .map(e -> e.substring(e.lastIndexOf(' ') + 1)).toList();
    }
}
