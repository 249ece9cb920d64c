package io.lazysnap.fs;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;

import io.lazysnap.estargz.Sha256;
import org.junit.jupiter.api.Test;

class MemoryChunksTest {

    @Test
    void theLeastRecentlyUsedChunksGoFirstToStayWithinTheBound() {
        MemoryChunks chunks = new MemoryChunks(300);
        chunks.put(key(1), new byte[100]);
        chunks.put(key(2), new byte[100]);
        chunks.put(key(3), new byte[100]);
        assertNotNull(chunks.get(key(1)), "read again: now the most recently used");
        chunks.put(key(4), new byte[150]);
        assertNull(chunks.get(key(2)));
        assertNull(chunks.get(key(3)));
        assertNotNull(chunks.get(key(1)));
        assertNotNull(chunks.get(key(4)), "a chunk just stored is kept, however often the others were read");
        assertEquals(250, chunks.bytes());
        assertEquals(2, chunks.count());
    }

    @Test
    void aChunkLargerThanTheBoundOrAZeroBoundKeepsNothing() {
        MemoryChunks chunks = new MemoryChunks(100);
        chunks.put(key(1), new byte[50]);
        chunks.put(key(2), new byte[101]);
        assertNull(chunks.get(key(2)));
        assertNotNull(chunks.get(key(1)), "and evicts nothing for it");
        MemoryChunks none = new MemoryChunks(0);
        none.put(key(1), new byte[1]);
        assertEquals(0, none.count());
    }

    @Test
    void storingAChunkAgainCountsItsBytesOnce() {
        MemoryChunks chunks = new MemoryChunks(1000);
        chunks.put(key(1), new byte[100]);
        chunks.put(key(1), new byte[100]);
        assertEquals(100, chunks.bytes());
    }

    private static ChunkKey key(int n) {
        return new ChunkKey(Sha256.parse("sha256:" + String.format("%064x", n)), null, 0, 0);
    }
}
