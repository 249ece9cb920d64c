package io.lazysnap.daemon;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonMappingException;
import com.fasterxml.jackson.databind.MapperFeature;
import com.fasterxml.jackson.databind.cfg.CoercionAction;
import com.fasterxml.jackson.databind.cfg.CoercionInputShape;
import com.fasterxml.jackson.databind.exc.MismatchedInputException;
import com.fasterxml.jackson.databind.exc.UnrecognizedPropertyException;
import com.fasterxml.jackson.databind.exc.ValueInstantiationException;
import com.fasterxml.jackson.databind.type.LogicalType;
import com.fasterxml.jackson.dataformat.toml.TomlMapper;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;

/**
 * Reads a TOML file strictly (unknown keys, wrong types and floats for integers are errors; no coercion of
 * {@code "1024"} to a number) and turns every failure into one line naming the file, the key and the reason.
 * Keys of stargz-snapshotter's {@code config.toml} that lazysnap does not honour say what to use instead.
 */
final class ConfigFile {

    private static final TomlMapper TOML = TomlMapper.builder()
            .enable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
            .enable(DeserializationFeature.FAIL_ON_NULL_FOR_PRIMITIVES)
            .disable(DeserializationFeature.ACCEPT_FLOAT_AS_INT)
            .disable(MapperFeature.ALLOW_COERCION_OF_SCALARS)
            .withCoercionConfig(LogicalType.Textual, c -> c
                    .setCoercion(CoercionInputShape.Integer, CoercionAction.Fail)
                    .setCoercion(CoercionInputShape.Float, CoercionAction.Fail)
                    .setCoercion(CoercionInputShape.Boolean, CoercionAction.Fail))
            .build();

    /** stargz-snapshotter keys with a meaning lazysnap does not share, and what to do instead. */
    private static final Map<String, String> NOT_HONOURED = Map.ofEntries(
            Map.entry("prefetch_size", "the prefetch is what the layer marks with .prefetch.landmark; use"
                    + " noprefetch = true to turn it off"),
            Map.entry("http_cache_type", "the caches are [cache] memory_bytes and the disk cache under <root>/cache"),
            Map.entry("filesystem_cache_type", "the caches are [cache] memory_bytes and the disk cache under"
                    + " <root>/cache"),
            Map.entry("directory_cache.direct", "reads of chunks in the disk cache read only the part asked for,"
                    + " through the page cache; [cache] memory_bytes bounds the chunks kept in memory when the disk"
                    + " cache cannot take them"),
            Map.entry("directory_cache.max_lru_cache_entry", "the memory cache is bounded in bytes: [cache]"
                    + " memory_bytes; entries x 4194304 (eStargz's default chunk size) is the closest equivalent"),
            Map.entry("directory_cache.max_cache_fds", "no cache file is kept open between reads; the disk cache is"
                    + " bounded by [cache] disk_high_bytes/disk_low_bytes and disk_high_percent/disk_low_percent"),
            Map.entry("resolver.mirrors.request_timeout_sec", "one timeout serves every host: [blob]"
                    + " fetching_timeout_sec"),
            Map.entry("allow_no_verification", "use allow_unverified_toc = true (chunks are always verified)"),
            Map.entry("disable_verification", "chunks are always verified against the TOC"),
            Map.entry("debug", "use lazysnap serve --log-level debug"),
            Map.entry("no_prometheus", "metrics are served only when metrics_address is set"),
            Map.entry("blob.chunk_size", "chunks are the layer's own, as its TOC lists them"),
            Map.entry("blob.prefetch_chunk_size", "the prefetch range is fetched with one request"),
            Map.entry("blob.valid_interval", "blob URLs are re-resolved when a redirect expires or fails"),
            Map.entry("blob.check_always", "blob URLs are re-resolved when a redirect expires or fails"),
            Map.entry("blob.force_single_range_mode", "every range request asks for one range"),
            Map.entry("fuse.passthrough", "FUSE passthrough is not supported"));

    private ConfigFile() {
    }

    static <T> T read(Path file, Class<T> type) throws IOException {
        try {
            return TOML.readValue(file.toFile(), type);
        } catch (UnrecognizedPropertyException e) {
            String key = key(e);
            // Mirror keys sit under a registry name of the operator's choosing.
            String reason = NOT_HONOURED.get(key.replaceFirst("^resolver\\.host\\..+\\.mirrors\\[\\d+]\\.",
                    "resolver.mirrors."));
            throw new IOException(file + ": unknown key " + key + (reason != null
                    ? " (a stargz-snapshotter setting lazysnap does not honour: " + reason + ")"
                    : " (known here: " + e.getKnownPropertyIds().stream().map(String::valueOf).sorted()
                    .collect(Collectors.joining(", ")) + ")"), e);
        } catch (ValueInstantiationException e) {
            String section = key(e);
            Throwable cause = e.getCause() == null ? e : e.getCause();
            throw new IOException(file + ": " + (section.isEmpty() ? "" : "[" + section + "] ") + cause.getMessage(), e);
        } catch (MismatchedInputException e) {
            throw new IOException(file + ": key " + key(e) + ": expected " + expected(e.getTargetType())
                    + " (" + e.getOriginalMessage().lines().findFirst().orElse("") + ")", e);
        } catch (JsonMappingException e) {
            throw new IOException(file + ": key " + key(e) + ": " + e.getOriginalMessage(), e);
        } catch (JsonProcessingException e) {
            throw new IOException(file + ": not valid TOML: " + e.getOriginalMessage(), e);
        }
    }

    private static String key(JsonMappingException e) {
        List<JsonMappingException.Reference> path = e.getPath();
        return path.stream().map(r -> r.getFieldName() != null ? r.getFieldName() : "[" + r.getIndex() + "]")
                .collect(Collectors.joining(".")).replace(".[", "[");
    }

    private static String expected(Class<?> type) {
        if (type == null) {
            return "another type";
        }
        if (type == Long.class || type == Integer.class || type == long.class || type == int.class) {
            return "an integer";
        }
        if (type == Boolean.class || type == boolean.class) {
            return "true or false";
        }
        if (type == String.class) {
            return "a string";
        }
        if (List.class.isAssignableFrom(type)) {
            return "an array";
        }
        return "a table";
    }
}
