package io.lazysnap.fs;

import io.lazysnap.estargz.BlobSource;
import java.io.IOException;
import java.nio.ByteBuffer;

/**
 * Takes the bytes of a range request that spans several compressed members and hands each member over as soon as
 * its last byte is in: the chunks at the start of a long range are served before its end has come, and the range is
 * never held whole, only the member being read. Bytes between the members (chunks the request passes over) go
 * through a small buffer and are dropped.
 */
final class MemberReceiver implements BlobSource.Receiver {

    /** Gets each member, in the order of the offsets given. */
    @FunctionalInterface
    interface Arrivals {
        void arrived(int member, byte[] bytes) throws IOException;
    }

    private static final int SKIP_BUFFER_BYTES = 16 << 10;

    private final long start;
    private final long[] offsets;
    private final long[] ends;
    private final Arrivals arrivals;
    private ByteBuffer skipped;
    private int next;
    private byte[] member;
    /** Whether the last window given was the member's. */
    private boolean intoMember;

    /**
     * For a range from {@code start} over members at {@code offsets} up to {@code ends} (ascending, none overlapping
     * the next, the first at {@code start}).
     */
    MemberReceiver(long start, long[] offsets, long[] ends, Arrivals arrivals) {
        this.start = start;
        this.offsets = offsets;
        this.ends = ends;
        this.arrivals = arrivals;
    }

    @Override
    public ByteBuffer window(int done, int rest) {
        long at = start + done;
        if (next >= offsets.length) {
            throw new IllegalStateException("bytes past the last member at " + at);
        }
        intoMember = at >= offsets[next];
        if (!intoMember) {
            if (skipped == null) {
                skipped = ByteBuffer.allocate(SKIP_BUFFER_BYTES);
            }
            return skipped.clear().limit((int) Math.min(Math.min(rest, offsets[next] - at), SKIP_BUFFER_BYTES));
        }
        if (member == null) {
            member = new byte[Math.toIntExact(ends[next] - offsets[next])];
        }
        int from = (int) (at - offsets[next]);
        return ByteBuffer.wrap(member, from, Math.min(rest, member.length - from));
    }

    @Override
    public void received(ByteBuffer bytes, int done) throws IOException {
        if (!intoMember || start + done + bytes.remaining() < ends[next]) {
            return;
        }
        byte[] whole = member;
        member = null;
        arrivals.arrived(next++, whole);
    }
}
