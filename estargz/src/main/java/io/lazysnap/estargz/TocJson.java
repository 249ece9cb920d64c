package io.lazysnap.estargz;

import com.fasterxml.jackson.core.JacksonException;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.ObjectReader;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.time.DateTimeException;
import java.time.Instant;
import java.time.LocalDateTime;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.time.temporal.ChronoUnit;
import java.util.List;

/** The TOC document {@code {"version":1,"entries":[...]}}: parsing, writing and its time format. */
final class TocJson {

    /** Go's {@code time.RFC3339} as stargz-snapshotter writes it: UTC, whole seconds. */
    private static final DateTimeFormatter RFC3339 = DateTimeFormatter.ofPattern("uuuu-MM-dd'T'HH:mm:ssXXX");

    private static final ObjectMapper MAPPER = new ObjectMapper()
            .configure(DeserializationFeature.FAIL_ON_NULL_FOR_PRIMITIVES, false)
            .configure(DeserializationFeature.ACCEPT_FLOAT_AS_INT, false);
    private static final ObjectReader ENTRY = MAPPER.readerFor(JsonEntry.class);

    /** Jackson binding of the document as written; public fields only so that Jackson needs no accessors. */
    static final class Document {
        public int version;
        public List<JsonEntry> entries;
    }

    private TocJson() {
    }

    /** Takes a TOC's entries, in order, as they are parsed. */
    @FunctionalInterface
    interface EntrySink {
        void accept(JsonEntry entry) throws LayerFormatException;
    }

    /**
     * Parses the document, handing each entry to {@code sink} as soon as it is parsed: a TOC's entries are never all
     * in the heap at once, only what {@code sink} keeps of them. Fields other than {@code version} and {@code entries}
     * are ignored, as Go's decoder ignores them.
     */
    static void parse(byte[] json, EntrySink sink) throws LayerFormatException {
        Integer version = null;
        boolean entries = false;
        try (JsonParser p = MAPPER.getFactory().createParser(json)) {
            if (p.nextToken() != JsonToken.START_OBJECT) {
                throw new LayerFormatException("TOC is not valid JSON: expected an object {\"version\":1,"
                        + "\"entries\":[...]}, found " + p.currentToken());
            }
            for (JsonToken t = p.nextToken(); t == JsonToken.FIELD_NAME; t = p.nextToken()) {
                String field = p.currentName();
                JsonToken value = p.nextToken();
                if ("version".equals(field)) {
                    version = value == JsonToken.VALUE_NULL ? Integer.valueOf(0) : MAPPER.readValue(p, Integer.class);
                } else if ("entries".equals(field) && value == JsonToken.START_ARRAY) {
                    entries = true;
                    for (JsonToken e = p.nextToken(); e != JsonToken.END_ARRAY; e = p.nextToken()) {
                        if (e == null) {
                            throw new LayerFormatException("TOC is not valid JSON: it ends inside \"entries\"");
                        }
                        sink.accept(ENTRY.readValue(p));
                    }
                } else if ("entries".equals(field) && value != JsonToken.VALUE_NULL) {
                    throw new LayerFormatException("TOC is not valid JSON: \"entries\" is " + value
                            + ", not an array");
                } else {
                    p.skipChildren();
                }
            }
        } catch (LayerFormatException e) {
            throw e;
        } catch (JacksonException e) {
            throw new LayerFormatException("TOC is not valid JSON: " + e.getOriginalMessage(), e);
        } catch (IOException e) {
            throw new LayerFormatException("TOC cannot be parsed: " + e.getMessage(), e);
        }
        if (version == null || version != 1) {
            throw new LayerFormatException("unsupported TOC version " + version + " (expected 1)");
        }
        if (!entries) {
            throw new LayerFormatException("TOC has no \"entries\" array");
        }
    }

    static byte[] write(List<JsonEntry> entries) {
        Document doc = new Document();
        doc.version = 1;
        doc.entries = entries;
        try {
            return MAPPER.writeValueAsBytes(doc);
        } catch (IOException e) {
            throw new UncheckedIOException("serialising an in-memory TOC cannot fail", e);
        }
    }

    /** Formats a modification time; null (omitted) for the epoch, as Go leaves zero times out. */
    static String formatTime(Instant time) {
        if (time.getEpochSecond() == 0) {
            return null;
        }
        Instant rounded = time.plusNanos(500_000_000L).truncatedTo(ChronoUnit.SECONDS);
        return RFC3339.format(rounded.atOffset(ZoneOffset.UTC));
    }

    /** Parses RFC 3339 with or without fractional seconds (containers/storage writes nanoseconds). */
    static Instant parseTime(String text) throws LayerFormatException {
        if (text == null || text.isEmpty()) {
            return Instant.EPOCH;
        }
        try {
            if (isWholeSecondsUtc(text)) {
                // What stargz-snapshotter writes, once per entry: parsed directly, 20x faster than the formatter.
                return LocalDateTime.of(digits(text, 0, 4), digits(text, 5, 2), digits(text, 8, 2), digits(text, 11, 2),
                        digits(text, 14, 2), digits(text, 17, 2)).toInstant(ZoneOffset.UTC);
            }
            return OffsetDateTime.parse(text, DateTimeFormatter.ISO_OFFSET_DATE_TIME).toInstant();
        } catch (DateTimeException e) {
            throw new LayerFormatException("TOC modtime is not RFC 3339: \"" + text + '"', e);
        }
    }

    /** {@code uuuu-MM-ddTHH:mm:ssZ} with ASCII digits where digits belong. */
    private static boolean isWholeSecondsUtc(String t) {
        if (t.length() != 20 || t.charAt(4) != '-' || t.charAt(7) != '-' || t.charAt(10) != 'T'
                || t.charAt(13) != ':' || t.charAt(16) != ':' || t.charAt(19) != 'Z') {
            return false;
        }
        for (int i : new int[] {0, 1, 2, 3, 5, 6, 8, 9, 11, 12, 14, 15, 17, 18}) {
            if (t.charAt(i) < '0' || t.charAt(i) > '9') {
                return false;
            }
        }
        return true;
    }

    private static int digits(String t, int at, int count) {
        int n = 0;
        for (int i = at; i < at + count; i++) {
            n = n * 10 + (t.charAt(i) - '0');
        }
        return n;
    }
}
