package io.lazysnap.registry;

import okhttp3.HttpUrl;
import okhttp3.Request;
import okhttp3.Response;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Lists a manifest's referrers through the OCI 1.1 referrers API, {@code GET /v2/<name>/referrers/<digest>}: an
 * image index of the manifests whose {@code subject} is the digest, possibly in pages linked by
 * {@code Link: <…>; rel="next"}.
 */
final class ReferrersLister {

    private static final long MAX_PAGE_BYTES = 4L << 20;
    // A registry could link pages forever; thousands of referrers of one image mean something is wrong.
    private static final int MAX_PAGES = 16;
    private static final Pattern NEXT = Pattern.compile("<([^>]*)>\\s*;\\s*rel=\"?next\"?");

    private final RegistryHttp http;

    ReferrersLister(RegistryHttp http) {
        this.http = http;
    }

    /** The listed descriptors of {@code artifactType} (all if null), or empty if the registry answers 404. */
    Optional<List<Descriptor>> list(Reference repository, String digest, String artifactType) throws IOException {
        HttpUrl.Builder first = RegistryHttp.logicalUrl(repository, "referrers/" + Digests.validate(digest))
                .newBuilder();
        if (artifactType != null) {
            first.addQueryParameter("artifactType", artifactType);
        }
        String what = "referrers of " + digest + " in " + repository.repository();
        List<Descriptor> listed = new ArrayList<>();
        HttpUrl page = first.build();
        for (int n = 0; page != null; n++) {
            if (n == MAX_PAGES) {
                throw new RegistryException(what + ": more than " + MAX_PAGES + " pages", 0);
            }
            // Like a tag, the answer is not content-addressed: only hosts trusted to resolve may give it.
            RequestSpec spec = http.spec(repository, Capability.RESOLVE, RegistryHttp.pullScope(repository),
                    what, null, MAX_PAGE_BYTES, true);
            Request.Builder request = new Request.Builder().url(page).header("Accept", MediaTypes.OCI_INDEX);
            try (Response response = n == 0 ? http.executeOrNull(request, spec) : http.execute(request, spec)) {
                if (response == null) {
                    return Optional.empty();
                }
                try {
                    listed.addAll(Index.parse(MediaTypes.OCI_INDEX, response.body().bytes()).manifests());
                } catch (IllegalArgumentException e) {
                    throw new RegistryException(what + ": " + e.getMessage(), response.code(), e);
                }
                page = next(page, response.header("Link"), what);
            }
        }
        // Filtering here too is cheap and makes OCI-Filters-Applied irrelevant: a registry that ignored the
        // artifactType parameter, or only says it applied it, gives the same result.
        return Optional.of(artifactType == null ? listed
                : listed.stream().filter(d -> d.artifactType().filter(artifactType::equals).isPresent()).toList());
    }

    /**
     * The next page's logical URL, or null. Only the link's path and query are taken, so the request is routed
     * and authenticated like the first one and credentials never follow a link to another host.
     */
    private static HttpUrl next(HttpUrl current, String link, String what) throws RegistryException {
        Matcher m = NEXT.matcher(link == null ? "" : link);
        if (!m.find()) {
            return null;
        }
        HttpUrl target = current.resolve(m.group(1));
        if (target == null || !target.encodedPath().startsWith("/v2/")) {
            throw new RegistryException(what + ": the next-page link leaves the registry API", 0);
        }
        // A mirror echoes the ns parameter routing added; routing adds it again.
        return current.newBuilder().encodedPath(target.encodedPath()).encodedQuery(target.encodedQuery())
                .removeAllQueryParameters("ns").build();
    }
}
