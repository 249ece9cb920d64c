package io.lazysnap.daemon.pull;

import com.google.protobuf.ByteString;
import com.google.protobuf.FieldMask;
import io.grpc.Status;
import io.grpc.StatusException;
import io.grpc.StatusRuntimeException;
import io.grpc.stub.BlockingClientCall;
import io.lazysnap.proto.content.v1.Info;
import io.lazysnap.proto.content.v1.InfoRequest;
import io.lazysnap.proto.content.v1.UpdateRequest;
import io.lazysnap.proto.content.v1.WriteAction;
import io.lazysnap.proto.content.v1.WriteContentRequest;
import io.lazysnap.proto.content.v1.WriteContentResponse;
import io.lazysnap.registry.Descriptor;
import java.io.IOException;
import java.io.InputStream;
import java.io.InterruptedIOException;
import java.util.Map;

/** containerd's content store, as {@code rpull} uses it: is a blob there, write one, label one. */
final class ContentStore {

    /** Below containerd's 16 MiB receive limit, and large enough that the per-message round trip does not matter. */
    private static final int WRITE_CHUNK = 1 << 20;

    private final Containerd containerd;

    ContentStore(Containerd containerd) {
        this.containerd = containerd;
    }

    boolean exists(String digest) throws IOException {
        try {
            containerd.content().info(InfoRequest.newBuilder().setDigest(digest).build());
            return true;
        } catch (StatusRuntimeException e) {
            if (e.getStatus().getCode() == Status.Code.NOT_FOUND) {
                return false;
            }
            throw ContainerdErrors.of("content info " + digest, e, containerd.socket);
        }
    }

    /**
     * Streams {@code blob}'s bytes into the store and commits them with {@code labels}; containerd checks size and
     * digest on commit. Content that is already there is left alone, its labels too (the store answers
     * ALREADY_EXISTS to a message naming its digest): returns false then. The first message opens the ingest and the
     * last one, carrying the last bytes, commits: a blob of up to a write chunk (a config, a manifest) takes one round
     * trip, not an info, a stat, a write, a commit and a label update.
     */
    boolean write(Descriptor blob, InputStream in, Map<String, String> labels) throws IOException {
        // One ingest per digest: a concurrent pull of the same blob waits on containerd's ref lock instead of racing.
        String ref = "lazysnap-rpull-" + blob.digest();
        BlockingClientCall<WriteContentRequest, WriteContentResponse> call = containerd.contentStreams().write();
        try {
            // A config or manifest of a few KiB does not cost a whole write chunk of heap.
            byte[] chunk = new byte[(int) Math.max(1, Math.min(WRITE_CHUNK, blob.size()))];
            long offset = 0;
            WriteContentResponse committed = null;
            while (committed == null) {
                int n = in.readNBytes(chunk, 0, chunk.length);
                // Offset 0 also truncates what an earlier, interrupted ingest under this ref left behind.
                WriteContentRequest.Builder request = WriteContentRequest.newBuilder().setRef(ref).setOffset(offset)
                        .setData(ByteString.copyFrom(chunk, 0, n));
                boolean first = offset == 0;
                offset += n;
                boolean last = n < chunk.length || offset >= blob.size();
                if (last && n == chunk.length && in.read() != -1) {
                    // Read to its end, the stream checks the bytes' digest itself, and names the registry if wrong.
                    throw new IOException(blob.digest() + " has more bytes than the " + blob.size()
                            + " its descriptor gives");
                }
                if (first || last) {
                    // containerd opens the ingest with the first message's size and digest, and answers
                    // ALREADY_EXISTS to a message carrying the digest of a blob it has.
                    request.setTotal(blob.size()).setExpected(blob.digest());
                }
                if (last) {
                    // The commit fails, naming both sizes, if the stream ended short of the size.
                    committed = exchange(call, request.setAction(WriteAction.COMMIT).putAllLabels(labels).build());
                } else {
                    exchange(call, request.setAction(WriteAction.WRITE).build());
                }
            }
            if (!committed.getDigest().isEmpty() && !committed.getDigest().equals(blob.digest())) {
                throw new IOException("containerd committed " + blob.digest() + " as " + committed.getDigest());
            }
            call.halfClose();
            call.read(); // waits for the server to end the stream
            return true;
        } catch (StatusException e) {
            call.cancel("write failed", e);
            if (e.getStatus().getCode() != Status.Code.ALREADY_EXISTS) {
                throw ContainerdErrors.of("writing " + blob.digest() + " to containerd's content store", e,
                        containerd.socket);
            }
            return false;
        } catch (InterruptedException e) {
            call.cancel("interrupted", e);
            Thread.currentThread().interrupt();
            throw new InterruptedIOException("interrupted while writing " + blob.digest());
        } catch (IOException | RuntimeException e) {
            call.cancel("write failed", e);
            throw e;
        }
    }

    /** Adds or replaces the given labels on stored content, leaving its other labels alone. */
    void label(String digest, Map<String, String> labels) throws IOException {
        if (labels.isEmpty()) {
            return;
        }
        FieldMask.Builder mask = FieldMask.newBuilder();
        labels.keySet().forEach(k -> mask.addPaths("labels." + k));
        try {
            containerd.content().update(UpdateRequest.newBuilder()
                    .setInfo(Info.newBuilder().setDigest(digest).putAllLabels(labels))
                    .setUpdateMask(mask).build());
        } catch (StatusRuntimeException e) {
            throw ContainerdErrors.of("labelling content " + digest, e, containerd.socket);
        }
    }

    private static WriteContentResponse exchange(BlockingClientCall<WriteContentRequest, WriteContentResponse> call,
                                                 WriteContentRequest request)
            throws StatusException, InterruptedException, IOException {
        // A refused write or a missing answer means the server ended the stream: read() throws its status.
        WriteContentResponse response = call.write(request) ? call.read() : null;
        if (response == null) {
            call.read();
            throw new IOException("containerd ended the content write stream early");
        }
        return response;
    }
}
