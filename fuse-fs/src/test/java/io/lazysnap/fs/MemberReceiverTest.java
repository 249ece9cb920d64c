package io.lazysnap.fs;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** Members come out whole and in order, however the bytes are cut, passed over between them or offered again. */
class MemberReceiverTest {

    private static final byte[] BLOB = new byte[10_000];

    static {
        new Random(5).nextBytes(BLOB);
    }

    /** Members at 1000-1500, 1500-4000 and 6000-9000 (a gap of 2000 bytes before the last). */
    private static final long[] OFFSETS = {1000, 1500, 6000};
    private static final long[] ENDS = {1500, 4000, 9000};

    @Test
    void eachMemberArrivesWholeAsSoonAsItsLastByteIsInAndGapsArePassedOver() throws Exception {
        List<byte[]> members = new ArrayList<>();
        MemberReceiver receiver = new MemberReceiver(1000, OFFSETS, ENDS, (index, bytes) -> members.add(bytes));
        for (int done = 0; done < 8000; ) {
            done = feed(receiver, done, 8000, 700);
            long at = 1000 + done;
            assertEquals(Arrays.stream(ENDS).filter(end -> end <= at).count(), members.size(), "members out at " + at);
        }
        assertMembersWhole(members);
    }

    @Test
    void bytesOfferedAgainAfterABreakLandWhereTheyBelong() throws Exception {
        List<byte[]> members = new ArrayList<>();
        MemberReceiver receiver = new MemberReceiver(1000, OFFSETS, ENDS, (index, bytes) -> members.add(bytes));
        // A body that breaks off 300 bytes into the second member; the resumed request starts where it broke off.
        for (int done = 0; done < 800; ) {
            done = feed(receiver, done, 800, 250);
        }
        for (int done = 800; done < 8000; ) {
            done = feed(receiver, done, 8000, 1024);
        }
        assertMembersWhole(members);
    }

    private static void assertMembersWhole(List<byte[]> members) {
        assertEquals(OFFSETS.length, members.size());
        for (int i = 0; i < OFFSETS.length; i++) {
            assertArrayEquals(Arrays.copyOfRange(BLOB, (int) OFFSETS[i], (int) ENDS[i]), members.get(i), "member " + i);
        }
    }

    /**
     * Hands one window's worth of the range's bytes from {@code done} on over (at most {@code piece}, and none past
     * {@code to}); returns how far the range now is.
     */
    private static int feed(MemberReceiver receiver, int done, int to, int piece) throws Exception {
        ByteBuffer window = receiver.window(done, 8000 - done);
        assertTrue(window.hasRemaining(), "a window has room at " + done);
        int count = Math.min(Math.min(window.remaining(), piece), to - done);
        int start = window.position();
        window.put(BLOB, 1000 + done, count);
        receiver.received(window.limit(window.position()).position(start), done);
        return done + count;
    }
}
