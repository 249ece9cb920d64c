package io.lazysnap.registry;

import okhttp3.HttpUrl;
import okhttp3.MediaType;
import okhttp3.Request;
import okhttp3.RequestBody;
import okhttp3.Response;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.List;

/**
 * Pushes blobs with the distribution spec's upload protocol: skip what the registry already has, mount across
 * repositories when asked, upload small blobs in one {@code PUT} and large ones in {@code PATCH} chunks.
 */
final class BlobUploader {

    private static final Logger log = LoggerFactory.getLogger(BlobUploader.class);
    private static final MediaType OCTET_STREAM = MediaType.get("application/octet-stream");

    /** A source of the blob's bytes that can be read in pieces, from memory or a file. */
    interface Content {
        long size();

        /** Reads up to {@code length} bytes at {@code offset}. */
        byte[] read(long offset, int length) throws IOException;
    }

    private final RegistryHttp http;
    private final int chunkSize;

    BlobUploader(RegistryHttp http, int chunkSize) {
        this.http = http;
        this.chunkSize = chunkSize;
    }

    static Content of(byte[] bytes) {
        return new Content() {
            @Override
            public long size() {
                return bytes.length;
            }

            @Override
            public byte[] read(long offset, int length) {
                return java.util.Arrays.copyOfRange(bytes, (int) offset, (int) offset + length);
            }
        };
    }

    static Content of(Path file) throws IOException {
        long size = Files.size(file);
        return new Content() {
            @Override
            public long size() {
                return size;
            }

            @Override
            public byte[] read(long offset, int length) throws IOException {
                try (var channel = Files.newByteChannel(file)) {
                    java.nio.ByteBuffer buffer = java.nio.ByteBuffer.allocate(length);
                    channel.position(offset);
                    while (buffer.hasRemaining() && channel.read(buffer) > 0) {
                        // keep reading: a channel may return fewer bytes than asked
                    }
                    return buffer.array();
                }
            }
        };
    }

    /** Hashes a file without holding it in memory. */
    static String digest(Path file) throws IOException {
        MessageDigest sha = Digests.newDigest("sha256:");
        try (InputStream in = Files.newInputStream(file)) {
            byte[] buffer = new byte[1 << 16];
            for (int n; (n = in.read(buffer)) > 0; ) {
                sha.update(buffer, 0, n);
            }
        }
        return Digests.format("sha256", sha.digest());
    }

    /** Asks hosts with {@code capability}: before a push, only where the blob would go counts, not a mirror. */
    boolean exists(Reference repo, String digest, Capability capability) throws IOException {
        RequestSpec spec = http.spec(repo, capability, capability == Capability.PUSH
                        ? RegistryHttp.pushScope(repo) : RegistryHttp.pullScope(repo),
                "blob " + digest + " in " + repo.repository(), null, 0, true);
        Response response = http.executeOrNull(new Request.Builder().head()
                .url(RegistryHttp.logicalUrl(repo, "blobs/" + digest)), spec);
        if (response != null) {
            response.close();
        }
        return response != null;
    }

    void push(Reference repo, Descriptor blob, Content content) throws IOException {
        if (exists(repo, blob.digest(), Capability.PUSH)) {
            log.debug("{} already has {}", repo.name(), blob.digest());
            return;
        }
        String what = "upload of " + blob.digest() + " to " + repo.repository();
        Response started = post(repo, RegistryHttp.pushScope(repo), what, "blobs/uploads/");
        HttpUrl location = location(started);
        long size = content.size();
        for (long offset = 0; size > chunkSize && offset < size; offset += chunkSize) {
            int length = (int) Math.min(chunkSize, size - offset);
            RequestBody body = RequestBody.create(content.read(offset, length), OCTET_STREAM);
            try (Response patched = http.execute(followUp(started, location)
                    .patch(body).header("Content-Range", offset + "-" + (offset + length - 1)), pushSpec(repo, what))) {
                location = location(patched);
                started = patched;
            }
        }
        byte[] rest = size > chunkSize ? new byte[0] : content.read(0, (int) size);
        HttpUrl finish = location.newBuilder().addQueryParameter("digest", blob.digest()).build();
        try (Response done = http.execute(followUp(started, finish).put(RequestBody.create(rest, OCTET_STREAM)),
                pushSpec(repo, what))) {
            String stored = done.header("Docker-Content-Digest");
            if (stored != null && !stored.equals(blob.digest())) {
                throw new RegistryException(what + ": the registry stored " + stored, done.code());
            }
        }
        log.debug("Pushed {} ({} bytes) to {}", blob.digest(), size, repo.name());
    }

    /**
     * Asks the registry to link a blob from {@code from} into {@code to} without uploading it. False when it
     * cannot (another registry, no access, unknown blob); the caller then uploads.
     */
    boolean mount(Reference from, Reference to, Descriptor blob) throws IOException {
        if (!from.registry().equals(to.registry())) {
            return false;
        }
        List<String> scopes = new ArrayList<>(RegistryHttp.pushScope(to));
        scopes.addAll(RegistryHttp.pullScope(from));
        String what = "mount of " + blob.digest() + " from " + from.repository() + " to " + to.repository();
        HttpUrl url = RegistryHttp.logicalUrl(to, "blobs/uploads/").newBuilder()
                .addQueryParameter("mount", blob.digest()).addQueryParameter("from", from.repository()).build();
        try (Response response = http.execute(new Request.Builder().url(url)
                .post(RequestBody.create(new byte[0], null)), http.spec(to, Capability.PUSH, scopes, what, null, 0,
                false))) {
            if (response.code() == 201) {
                return true;
            }
            // 202: the registry opened an ordinary upload instead; close it so it does not linger.
            HttpUrl location = location(response);
            try (Response ignored = http.execute(followUp(response, location).delete(), pushSpec(to, what))) {
                log.debug("Mount refused for {}; cancelled the upload it opened", blob.digest());
            } catch (RegistryException e) {
                log.debug("Could not cancel the upload opened for {}: {}", blob.digest(), e.getMessage());
            }
            return false;
        }
    }

    private Response post(Reference repo, List<String> scopes, String what, String suffix) throws IOException {
        return http.execute(new Request.Builder().url(RegistryHttp.logicalUrl(repo, suffix))
                .post(RequestBody.create(new byte[0], null)), http.spec(repo, Capability.PUSH, scopes, what, null, 0,
                false));
    }

    private RequestSpec pushSpec(Reference repo, String what) {
        return http.spec(repo, Capability.PUSH, RegistryHttp.pushScope(repo), what, null, 0, false);
    }

    /** Later requests of an upload go to the host that started it, as the registry told us, not re-routed. */
    private static Request.Builder followUp(Response previous, HttpUrl url) {
        return new Request.Builder().url(url).tag(Attempt.class, previous.request().tag(Attempt.class));
    }

    private static HttpUrl location(Response response) throws IOException {
        try (response) {
            String header = response.header("Location");
            HttpUrl url = header == null ? null : response.request().url().resolve(header);
            if (url == null) {
                throw new RegistryException("the registry at " + Urls.hostPort(response.request().url())
                        + " answered an upload request without a usable Location", response.code());
            }
            return url;
        }
    }
}
