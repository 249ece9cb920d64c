package io.lazysnap.registry;

import com.fasterxml.jackson.databind.JsonNode;
import io.lazysnap.estargz.BlobSource;
import okhttp3.ConnectionPool;
import okhttp3.MediaType;
import okhttp3.OkHttpClient;
import okhttp3.Request;
import okhttp3.RequestBody;
import okhttp3.Response;
import okio.BufferedSource;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.Closeable;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.function.BiFunction;
import java.util.function.LongSupplier;
import java.util.regex.Matcher;

/**
 * The one entry point of the registry client: resolve images, read manifests and blobs (whole, or lazily by
 * range through a {@link BlobSource}), and push. Authentication, retries, redirects to blob storage, mirrors and
 * per-host limits happen underneath, in one OkHttp interceptor chain; callers only ask for bytes. Every manifest
 * and whole blob is checked against its digest. Thread-safe; share one instance per process.
 */
public final class RegistryClient implements Closeable {

    private static final long MAX_MANIFEST_BYTES = 4L << 20;

    private static final Logger log = LoggerFactory.getLogger(RegistryClient.class);

    private final OkHttpClient okHttp;
    private final HostsConfig hosts;
    private final RegistryHttp http;
    private final BlobUploader uploader;
    private final ReferrersLister referrers;
    private final long coalesceGap;
    private final long maxRangeSpan;
    private final int rangeReadsInFlight;
    private final int maxAttempts;
    private final RegistryListener listener;
    private final ExactBodyInterceptor exactBodies = new ExactBodyInterceptor();

    private RegistryClient(Builder b) {
        HostTls tls = new HostTls(new OkHttpClient().hostnameVerifier());
        OkHttpClient base = new OkHttpClient.Builder()
                .connectionPool(new ConnectionPool(32, 5, TimeUnit.MINUTES))
                .followRedirects(false)
                .followSslRedirects(false)
                .connectTimeout(b.requestTimeout)
                .readTimeout(b.requestTimeout)
                .writeTimeout(b.requestTimeout)
                .sslSocketFactory(tls.socketFactory(), tls.defaultTrust())
                .hostnameVerifier(tls.hostnameVerifier())
                .build();
        List<CredentialStore> stores = new ArrayList<>();
        Map<String, Credential> explicit = Map.copyOf(b.credentials);
        stores.add(host -> Optional.ofNullable(explicit.get(host)));
        if (b.dockerConfig != null) {
            stores.add(new DockerConfigCredentials(b.dockerConfig));
        }
        OkHttpClient tokenClient = base.newBuilder().followRedirects(true).callTimeout(b.requestTimeout).build();
        this.hosts = new HostsConfig(b.hostsDir, b.plainHttp, b.mirrors, !b.requireTlsForLoopback);
        this.okHttp = base.newBuilder()
                .addInterceptor(new HostFallbackInterceptor(hosts, tls, b.listener))
                .addInterceptor(new PlainHttpFallbackInterceptor())
                .addInterceptor(new RetryInterceptor(b.maxAttempts, b.initialBackoff, b.maxBackoff, b.listener))
                .addInterceptor(new ConcurrencyLimitInterceptor(b.maxRequestsPerHost))
                .addInterceptor(new AuthInterceptor(new Authorizer(tokenClient, stores)))
                .addInterceptor(new RedirectInterceptor(b.redirectTtl))
                .addInterceptor(exactBodies)
                .addInterceptor(new ListenerInterceptor(b.listener))
                .addInterceptor(chain -> chain.proceed(chain.request().newBuilder()
                        .header("User-Agent", b.userAgent)
                        // No transparent gzip: digests and ranges are over the bytes as stored.
                        .header("Accept-Encoding", "identity").build()))
                .build();
        this.http = new RegistryHttp(okHttp, b.totalTimeout.toNanos(), b.rangeTimeout.toNanos());
        this.uploader = new BlobUploader(http, b.uploadChunkSize);
        this.referrers = new ReferrersLister(http);
        this.coalesceGap = b.coalesceGap;
        this.maxRangeSpan = b.maxRangeSpan;
        this.rangeReadsInFlight = b.rangeReadsInFlight;
        this.maxAttempts = b.maxAttempts;
        this.listener = b.listener;
    }

    public static Builder builder() {
        return new Builder();
    }

    /**
     * The API roots ({@code scheme://host:port/path/}) that pulls from {@code namespace} (a registry as references
     * name it) try, in order: mirrors first, the registry itself last. For diagnostics.
     */
    public List<URI> pullHosts(String namespace) {
        return hosts.endpoints(namespace, Capability.PULL).stream().map(e -> e.apiRoot().uri()).toList();
    }

    /** Resolves {@code reference} for linux/amd64. */
    public ResolvedImage resolve(String reference) throws IOException {
        return resolve(Reference.parse(reference), Platform.LINUX_AMD64);
    }

    /**
     * Resolves a tag or digest to the image manifest for {@code platform}, going through the index if the
     * reference names one. Tags are resolved only on hosts trusted to resolve; the rest is fetched by digest.
     */
    public ResolvedImage resolve(Reference reference, Platform platform) throws IOException {
        Fetched top = fetchManifest(reference);
        Reference pinned = reference.withDigest(top.descriptor.digest());
        if (!top.isIndex()) {
            return new ResolvedImage(pinned, null, top.as(reference, Manifest::parse));
        }
        Index index = top.as(reference, Index::parse);
        Descriptor chosen = index.select(platform).orElseThrow(() -> new RegistryException(
                reference + " has no manifest for " + platform + "; it has "
                        + index.manifests().stream().map(d -> d.platform().map(Platform::toString).orElse("?"))
                        .distinct().toList(), 404));
        return new ResolvedImage(pinned, index, manifest(pinned.withDigest(chosen.digest())));
    }

    /** The image manifest {@code reference} names. Fails if it names an index. */
    public Manifest manifest(Reference reference) throws IOException {
        Fetched f = fetchManifest(reference);
        if (f.isIndex()) {
            throw new RegistryException(reference + " is an index (" + f.mediaType + "), not an image manifest;"
                    + " resolve it with a platform", 0);
        }
        return f.as(reference, Manifest::parse);
    }

    /** The index (or Docker manifest list) {@code reference} names. Fails if it names an image manifest. */
    public Index index(Reference reference) throws IOException {
        Fetched f = fetchManifest(reference);
        if (!f.isIndex()) {
            throw new RegistryException(reference + " is an image manifest (" + f.mediaType + "), not an index", 0);
        }
        return f.as(reference, Index::parse);
    }

    /**
     * The manifests whose {@code subject} is {@code digest} (signatures, attestations, SBOMs), as the OCI 1.1
     * referrers API lists them, each descriptor with its {@code artifactType}; only those of {@code artifactType}
     * unless it is null. A list rather than an {@link Index}: the answer may span pages and is filtered here.
     *
     * @return empty if the registry does not offer the API (HTTP 404); the caller then reads the referrers tag
     *         {@code sha256-<hex>} with {@link #index}
     */
    public Optional<List<Descriptor>> referrers(Reference repository, String digest, String artifactType)
            throws IOException {
        return referrers.list(repository, digest, artifactType);
    }

    /** A whole blob, checked against its digest. For configs and other small blobs: it is held in memory. */
    public byte[] blob(Reference repository, Descriptor blob) throws IOException {
        RequestSpec spec = http.spec(repository, Capability.PULL, RegistryHttp.pullScope(repository),
                blobWhat(repository, blob.digest()), blob.digest(), Math.max(1, blob.size()), true);
        try (Response response = http.execute(new Request.Builder()
                .url(RegistryHttp.logicalUrl(repository, "blobs/" + blob.digest())), spec)) {
            return response.body().bytes();
        }
    }

    /**
     * Lazy random access to a blob by HTTP range requests, with concurrent reads coalesced. Range bytes cannot
     * be digest-checked here; the caller verifies what it reads (eStargz chunk digests).
     */
    public BlobSource blobSource(Reference repository, Descriptor blob) {
        return new RegistryBlobSource(blobWhat(repository, blob.digest()), blob.size(),
                (offset, length, receiver) -> range(repository, blob, offset, length, receiver), coalesceGap,
                maxRangeSpan, rangeReadsInFlight);
    }

    /**
     * The last {@code length} bytes of a blob (all of it, if it is shorter) and its size, by one suffix range request
     * ({@code Range: bytes=-length}): a layer's footer can be asked for while the manifest that gives the layer's
     * size is still on its way. Empty when the registry would send the whole blob instead (it ignores ranges);
     * that body is not read. The caller checks the size and the bytes.
     */
    public Optional<BlobTail> tail(Reference repository, String digest, int length) throws IOException {
        String what = blobWhat(repository, Digests.validate(digest));
        try (Response response = http.execute(new Request.Builder()
                .url(RegistryHttp.logicalUrl(repository, "blobs/" + digest))
                .header("Range", "bytes=-" + length), http.suffix(repository, what))) {
            if (response.code() != 206) {
                return Optional.empty();
            }
            String contentRange = response.header("Content-Range", "");
            Matcher m = ExactBodyInterceptor.CONTENT_RANGE.matcher(contentRange);
            long size = m.matches() && !m.group(3).equals("*") ? Long.parseLong(m.group(3)) : -1;
            int count = (int) Math.min(length, size);
            if (size < 0 || Long.parseLong(m.group(2)) != size - 1 || Long.parseLong(m.group(1)) != size - count) {
                throw new IOException(Urls.hostPort(response.request().url()) + " answered Content-Range '"
                        + contentRange + "' for the last " + length + " bytes of " + what);
            }
            try {
                return Optional.of(new BlobTail(size, response.body().source().readByteArray(count)));
            } catch (EOFException e) {
                throw new IOException("the registry sent a truncated body for the last " + length + " bytes of "
                        + what, e);
            }
        }
    }

    /**
     * Exactly {@code length} bytes of a blob at {@code offset}, by a range request of its own, never coalesced with
     * other reads, read from the socket straight into the array returned. A body that breaks off is requested again
     * from where it broke off, as many times as a request is tried, all within one range deadline. The caller
     * verifies the bytes.
     */
    public byte[] range(Reference repository, Descriptor blob, long offset, int length) throws IOException {
        byte[] bytes = new byte[length];
        range(repository, blob, offset, length, BlobSource.Receiver.into(bytes));
        return bytes;
    }

    /**
     * Exactly {@code length} bytes of a blob at {@code offset}, handed to {@code receiver} as they come from the
     * socket, by a range request of its own, never coalesced with other reads. A body that breaks off is requested
     * again from where it broke off, as many times as a request is tried, all within one range deadline: the receiver
     * sees each byte once, in order. The caller verifies the bytes.
     */
    public void range(Reference repository, Descriptor blob, long offset, int length, BlobSource.Receiver receiver)
            throws IOException {
        long deadline = http.rangeDeadline();
        download(repository, blob, offset, length, () -> deadline, receiver);
    }

    /**
     * Writes exactly {@code length} bytes of a blob at {@code offset} into {@code file} at the same offset, straight
     * from the socket: for bulk downloads, which hold neither the chunk nor a copy of it in memory. The request is
     * retried, and a body that breaks off is requested again from where it broke off, as many times as a request
     * is tried, each request within a range deadline of its own; verifying the bytes is the caller's.
     */
    public void range(Reference repository, Descriptor blob, long offset, int length, FileChannel file)
            throws IOException {
        ByteBuffer buffer = ByteBuffer.allocate(64 << 10);
        download(repository, blob, offset, length, http::rangeDeadline, new BlobSource.Receiver() {
            @Override
            public ByteBuffer window(int done, int rest) {
                // A socket read brings at most 8 KiB: the file is written per full buffer, not per read.
                return buffer.clear().limit(Math.min(buffer.capacity(), rest));
            }

            @Override
            public void received(ByteBuffer window, int done) throws IOException {
                for (long at = offset + done; window.hasRemaining(); ) {
                    at += file.write(window, at);
                }
            }
        });
    }

    private void download(Reference repository, Descriptor blob, long offset, int length, LongSupplier deadline,
                          BlobSource.Receiver sink) throws IOException {
        String what = blobWhat(repository, blob.digest());
        int done = 0;
        String host = repository.registry();
        for (int attempt = 1; ; attempt++) {
            long from = offset + done;
            try (Response response = http.execute(new Request.Builder()
                    .url(RegistryHttp.logicalUrl(repository, "blobs/" + blob.digest()))
                    .header("Range", "bytes=" + from + "-" + (offset + length - 1)),
                    http.range(repository, what, from, length - done, deadline.getAsLong()))) {
                host = Urls.hostPort(response.request().url());
                BufferedSource source = response.body().source();
                while (done < length) {
                    ByteBuffer window = sink.window(done, length - done);
                    int start = window.position();
                    IOException broke = fill(source, window);
                    boolean ended = broke == null && window.hasRemaining();
                    int read = window.position() - start;
                    sink.received(window.limit(window.position()).position(start), done);
                    done += read;
                    if (broke != null) {
                        throw new BodyBrokeOff(broke);
                    }
                    if (ended) {
                        throw new BodyBrokeOff(new IOException("the registry sent a truncated body for bytes "
                                + offset + "-" + (offset + length - 1) + " of " + what + ": " + done + " of "
                                + length + " bytes"));
                    }
                }
                if (response.code() == 206 && !source.exhausted()) {
                    throw new IOException("the registry sent more than bytes " + offset + "-" + (offset + length - 1)
                            + " of " + what);
                }
                return;
            } catch (BodyBrokeOff e) {
                IOException cause = e.getCause();
                if (Thread.currentThread().isInterrupted()) {
                    throw cause;
                }
                if (attempt >= maxAttempts) {
                    throw new RegistryException(what + " from " + host + ": " + HostFallbackInterceptor.describe(cause),
                            0, cause);
                }
                log.info("Requesting bytes {}-{} of {} again: {} (attempt {} of {})", offset + done,
                        offset + length - 1, what, cause.getMessage(), attempt + 1, maxAttempts);
                listener.retrying(host, what, attempt + 1, HostFallbackInterceptor.describe(cause));
            }
        }
    }

    /** A response body that failed or ended early, after some of its bytes may have been written. */
    private static final class BodyBrokeOff extends IOException {
        BodyBrokeOff(IOException cause) {
            super(cause);
        }

        @Override
        public synchronized IOException getCause() {
            return (IOException) super.getCause();
        }
    }

    /**
     * Reads until {@code buffer} is full or the body ends; a failure is returned rather than thrown, so that the
     * bytes read before it are still written.
     */
    private static IOException fill(BufferedSource source, ByteBuffer buffer) {
        try {
            while (buffer.hasRemaining() && source.read(buffer) >= 0) {
                // reading
            }
            return null;
        } catch (IOException e) {
            return e;
        }
    }

    /**
     * A whole blob as the registry streams it, for blobs too large to hold in memory. Only the request is retried:
     * a failure while reading the body is the caller's, and so is checking the digest.
     */
    public InputStream stream(Reference repository, Descriptor blob) throws IOException {
        RequestSpec spec = http.spec(repository, Capability.PULL, RegistryHttp.pullScope(repository),
                blobWhat(repository, blob.digest()), null, 0, true);
        Response response = http.execute(new Request.Builder()
                .url(RegistryHttp.logicalUrl(repository, "blobs/" + blob.digest())), spec);
        return response.body().byteStream();
    }

    /** True once a host serving {@code repository}'s registry answered a range request with the whole blob. */
    public boolean ignoresRanges(Reference repository) {
        return exactBodies.ignoresRanges(repository.registry());
    }

    /** True if the repository has the blob. */
    public boolean blobExists(Reference repository, String digest) throws IOException {
        return uploader.exists(repository, Digests.validate(digest), Capability.PULL);
    }

    /** Uploads a blob held in memory unless the repository has it already. */
    public Descriptor pushBlob(Reference repository, String mediaType, byte[] bytes) throws IOException {
        Descriptor blob = Descriptor.of(mediaType, bytes);
        uploader.push(repository, blob, BlobUploader.of(bytes));
        return blob;
    }

    /** Uploads a blob from a file, in chunks, unless the repository has it already. */
    public Descriptor pushBlob(Reference repository, String mediaType, Path file) throws IOException {
        BlobUploader.Content content = BlobUploader.of(file);
        Descriptor blob = Descriptor.of(mediaType, BlobUploader.digest(file), content.size());
        uploader.push(repository, blob, content);
        return blob;
    }

    /**
     * Links a blob that {@code from} already has into {@code to} (same registry) without uploading it.
     *
     * @return false if the registry declined; upload the blob instead
     */
    public boolean mountBlob(Reference from, Reference to, Descriptor blob) throws IOException {
        return uploader.mount(from, to, blob);
    }

    /**
     * Stores a manifest or index under the reference's tag (or digest, if it has no tag).
     *
     * @return its descriptor, whose digest is that of {@code bytes} exactly
     */
    public Descriptor pushManifest(Reference reference, String mediaType, byte[] bytes) throws IOException {
        Descriptor descriptor = Descriptor.of(mediaType, bytes);
        String key = reference.tag().orElse(descriptor.digest());
        RequestSpec spec = http.spec(reference, Capability.PUSH, RegistryHttp.pushScope(reference),
                "manifest " + reference.repository() + ":" + key, null, 0, true);
        try (Response response = http.execute(new Request.Builder()
                .url(RegistryHttp.logicalUrl(reference, "manifests/" + key))
                .put(RequestBody.create(bytes, MediaType.get(mediaType))), spec)) {
            String stored = response.header("Docker-Content-Digest");
            if (stored != null && !stored.equals(descriptor.digest())) {
                throw new RegistryException("the registry stored manifest " + reference + " as " + stored
                        + ", not " + descriptor.digest(), response.code());
            }
        }
        return descriptor;
    }

    /** Closes idle connections. In-flight calls finish. */
    @Override
    public void close() {
        okHttp.connectionPool().evictAll();
    }

    private record Fetched(String mediaType, byte[] bytes, Descriptor descriptor) {
        boolean isIndex() {
            return MediaTypes.isIndex(mediaType);
        }

        /** Parses with {@code parser}, reporting a malformed document as the registry's failure. */
        <T> T as(Reference from, BiFunction<String, byte[], T> parser) throws RegistryException {
            try {
                return parser.apply(mediaType, bytes);
            } catch (IllegalArgumentException e) {
                throw new RegistryException(from + ": " + e.getMessage(), 0, e);
            }
        }
    }

    private Fetched fetchManifest(Reference reference) throws IOException {
        String key = reference.manifestKey();
        Capability capability = reference.digest().isPresent() ? Capability.PULL : Capability.RESOLVE;
        RequestSpec spec = http.spec(reference, capability, RegistryHttp.pullScope(reference),
                "manifest " + reference.repository() + (key.contains(":") ? "@" : ":") + key,
                reference.digest().orElse(null), MAX_MANIFEST_BYTES, true);
        try (Response response = http.execute(new Request.Builder()
                .url(RegistryHttp.logicalUrl(reference, "manifests/" + key))
                .header("Accept", MediaTypes.ACCEPT_MANIFESTS), spec)) {
            byte[] bytes = response.body().bytes();
            String type = Optional.ofNullable(response.header("Content-Type")).map(t -> t.split(";")[0].trim())
                    .orElse("");
            if (!type.startsWith("application/vnd.")) {
                // A generic type (application/json, or none): the document's own field or shape decides.
                JsonNode root;
                try {
                    root = Json.read(bytes, "manifest " + reference);
                } catch (IllegalArgumentException e) {
                    throw new RegistryException(e.getMessage(), 0, e);
                }
                type = root.path("mediaType").asText(root.has("manifests") ? MediaTypes.OCI_INDEX
                        : MediaTypes.OCI_MANIFEST);
            }
            return new Fetched(type, bytes, Descriptor.of(type, bytes));
        }
    }

    private static String blobWhat(Reference repository, String digest) {
        return "blob " + digest + " in " + repository.repository();
    }

    /** Configures a {@link RegistryClient}. Defaults suit a node pulling lazily from a public registry. */
    public static final class Builder {
        private Path hostsDir;
        private final Set<String> plainHttp = new HashSet<>();
        private boolean requireTlsForLoopback;
        private final Map<String, List<HostsConfig.Mirror>> mirrors = new HashMap<>();
        private Path dockerConfig;
        private final Map<String, Credential> credentials = new HashMap<>();
        private long coalesceGap = 256 << 10;
        private long maxRangeSpan = 16 << 20;
        private int rangeReadsInFlight = 8;
        private int maxRequestsPerHost = 32;
        private int maxAttempts = 5;
        private Duration initialBackoff = Duration.ofMillis(200);
        private Duration maxBackoff = Duration.ofSeconds(10);
        private Duration requestTimeout = Duration.ofSeconds(30);
        private Duration totalTimeout = Duration.ofMinutes(5);
        private Duration rangeTimeout = Duration.ofMinutes(2);
        private Duration redirectTtl = Duration.ofMinutes(10);
        private int uploadChunkSize = 8 << 20;
        private String userAgent = "lazysnap";
        private RegistryListener listener = new RegistryListener() {
        };

        private Builder() {
        }

        /** A containerd-style {@code certs.d} directory of {@code <host>/hosts.toml} files (mirrors, TLS). */
        public Builder hostsDir(Path dir) {
            this.hostsDir = Objects.requireNonNull(dir);
            return this;
        }

        /**
         * Adds a mirror of {@code namespace} (a registry as references name it, e.g. {@code docker.io}), tried for
         * pulls and tag resolution after the mirrors added before it and before the hosts of {@link #hostsDir},
         * which end with the registry itself: stargz-snapshotter's {@code [[resolver.host."<namespace>".mirrors]]}.
         *
         * @param host     {@code host[:port][/path]} (the API is under {@code <path>/v2}), or a URL with a scheme
         * @param insecure plain HTTP instead of HTTPS (when {@code host} has no scheme)
         * @param headers  request headers for this mirror, each with one or more values
         */
        public Builder mirror(String namespace, String host, boolean insecure, Map<String, List<String>> headers) {
            mirrors.computeIfAbsent(Objects.requireNonNull(namespace), n -> new ArrayList<>())
                    .add(new HostsConfig.Mirror(Objects.requireNonNull(host), insecure, headers));
            return this;
        }

        /** Talks plain HTTP to these registries ({@code host[:port]} as in references), e.g. a local cache. */
        public Builder plainHttp(String... hosts) {
            plainHttp.addAll(List.of(hosts));
            return this;
        }

        /**
         * Treats registries on this machine ({@code localhost}, {@code 127.0.0.0/8}, {@code ::1}) like any other:
         * verified TLS unless {@link #plainHttp} or a hosts.toml says otherwise. By default they follow
         * containerd 1.7+: port 80 in plain HTTP; other ports in TLS without certificate verification (unless a
         * CA is configured for them) and, except on 443, in plain HTTP once they answer TLS with plain HTTP.
         */
        public Builder requireTlsForLoopback(boolean require) {
            this.requireTlsForLoopback = require;
            return this;
        }

        /** Reads credentials from a docker {@code config.json} (auths, identity tokens, credential helpers). */
        public Builder dockerConfig(Path configJson) {
            this.dockerConfig = Objects.requireNonNull(configJson);
            return this;
        }

        /** Credentials for one registry host; they take precedence over the docker config. */
        public Builder credentials(String host, String username, String password) {
            credentials.put(host, Credential.password(username, password));
            return this;
        }

        /** Queued range reads at most this many bytes apart are fetched together (default 256 KiB). */
        public Builder coalesceGap(long bytes) {
            this.coalesceGap = requireNonNegative(bytes, "coalesceGap");
            return this;
        }

        /** The largest span one coalesced range request may cover (default 16 MiB). */
        public Builder maxRangeSpan(int bytes) {
            this.maxRangeSpan = requirePositive(bytes, "maxRangeSpan");
            return this;
        }

        /** Range requests one blob source has in flight before further reads queue and coalesce (default 8). */
        public Builder rangeReadsInFlight(int requests) {
            this.rangeReadsInFlight = (int) requirePositive(requests, "rangeReadsInFlight");
            return this;
        }

        /** Requests in flight to one host (default 32). */
        public Builder maxRequestsPerHost(int requests) {
            this.maxRequestsPerHost = (int) requirePositive(requests, "maxRequestsPerHost");
            return this;
        }

        /** Attempts per request and host, the first included (default 5), and the backoff between them. */
        public Builder retries(int maxAttempts, Duration initialBackoff, Duration maxBackoff) {
            this.maxAttempts = (int) requirePositive(maxAttempts, "maxAttempts");
            this.initialBackoff = Objects.requireNonNull(initialBackoff);
            this.maxBackoff = Objects.requireNonNull(maxBackoff);
            return this;
        }

        /** Connect, read and write timeout of each attempt (default 30 s): a stalled transfer fails after it. */
        public Builder requestTimeout(Duration timeout) {
            this.requestTimeout = Objects.requireNonNull(timeout);
            return this;
        }

        /**
         * Deadline of one ranged blob read (a lazy read's chunks, a TOC) including retries and mirror fallback
         * (default 2 min, and never more than {@link #totalTimeout}): a registry that stalls or trickles bytes fails
         * a read after it, instead of holding it for a whole download's deadline.
         */
        public Builder rangeTimeout(Duration timeout) {
            if (timeout.isNegative() || timeout.isZero()) {
                throw new IllegalArgumentException("range timeout must be positive");
            }
            this.rangeTimeout = timeout;
            return this;
        }

        /** Deadline of one operation including retries and mirror fallback (default 5 min). */
        public Builder totalTimeout(Duration timeout) {
            this.totalTimeout = Objects.requireNonNull(timeout);
            return this;
        }

        /** How long a redirect to blob storage is reused before asking the registry again (default 10 min). */
        public Builder redirectTtl(Duration ttl) {
            this.redirectTtl = Objects.requireNonNull(ttl);
            return this;
        }

        /** Blobs larger than this are uploaded in chunks of this size (default 8 MiB). */
        public Builder uploadChunkSize(int bytes) {
            this.uploadChunkSize = (int) requirePositive(bytes, "uploadChunkSize");
            return this;
        }

        public Builder userAgent(String userAgent) {
            this.userAgent = Objects.requireNonNull(userAgent);
            return this;
        }

        public Builder listener(RegistryListener listener) {
            this.listener = Objects.requireNonNull(listener);
            return this;
        }

        public RegistryClient build() {
            return new RegistryClient(this);
        }

        private static long requirePositive(long value, String name) {
            if (value <= 0) {
                throw new IllegalArgumentException(name + " must be positive, not " + value);
            }
            return value;
        }

        private static long requireNonNegative(long value, String name) {
            if (value < 0) {
                throw new IllegalArgumentException(name + " must not be negative, not " + value);
            }
            return value;
        }
    }
}
