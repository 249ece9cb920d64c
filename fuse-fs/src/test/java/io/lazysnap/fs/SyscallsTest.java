package io.lazysnap.fs;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Random;
import jnr.ffi.Pointer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SyscallsTest {

    @TempDir
    Path dir;

    @Test
    void aFilePartIsReadIntoNativeMemoryAtItsPlace() throws Exception {
        byte[] content = new byte[300_000];
        new Random(7).nextBytes(content);
        Path file = Files.write(dir.resolve("chunk"), content);
        Pointer reply = Syscalls.allocate(200_000);

        assertTrue(Syscalls.readFile(file, content.length, 123_456, reply.slice(16), 131_072));

        byte[] read = new byte[131_072];
        reply.get(16, read, 0, read.length);
        assertArrayEquals(Arrays.copyOfRange(content, 123_456, 123_456 + 131_072), read);
        byte[] before = new byte[16];
        reply.get(0, before, 0, 16);
        assertArrayEquals(new byte[16], before, "nothing is written before the place given");
        byte[] after = new byte[200_000 - 16 - 131_072];
        reply.get(16 + 131_072, after, 0, after.length);
        assertArrayEquals(new byte[after.length], after, "nor after the length asked for");
    }

    @Test
    void aLengthBeyondTheMemoryIsRefusedBeforeAnythingIsRead() throws Exception {
        Path file = Files.write(dir.resolve("chunk"), new byte[8192]);
        Pointer reply = Syscalls.allocate(4096);

        assertThrows(IllegalArgumentException.class, () -> Syscalls.readFile(file, 8192, 0, reply.slice(16), 4096));
    }

    @Test
    void aFileOfAnotherSizeOrNoneOrTooShortIsNotRead() throws Exception {
        Path file = Files.write(dir.resolve("chunk"), new byte[1000]);
        Pointer reply = Syscalls.allocate(4096);

        assertFalse(Syscalls.readFile(file, 1001, 0, reply, 100), "a file of another size");
        assertFalse(Syscalls.readFile(dir.resolve("gone"), 1000, 0, reply, 100), "no file");
        assertFalse(Syscalls.readFile(file, 1000, 950, reply, 100), "a part past the file's end");
    }
}
