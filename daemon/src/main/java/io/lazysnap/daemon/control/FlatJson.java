package io.lazysnap.daemon.control;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import java.io.IOException;
import java.io.StringWriter;
import java.io.UncheckedIOException;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The control socket's lines: one-level JSON objects of strings, integers, booleans and nulls. Written and read
 * with jackson-core's streaming API, which loads a tenth of the classes an {@code ObjectMapper} does: the client
 * of a pull starts on a container's start-up path.
 */
final class FlatJson {

    private static final JsonFactory FACTORY = new JsonFactory();

    private FlatJson() {
    }

    /** {@code fields} (values: String, Integer, Long, Boolean or null) as one JSON object. */
    static String write(Map<String, ?> fields) {
        StringWriter text = new StringWriter();
        try (JsonGenerator json = FACTORY.createGenerator(text)) {
            json.writeStartObject();
            for (Map.Entry<String, ?> f : fields.entrySet()) {
                Object v = f.getValue();
                if (v == null) {
                    json.writeNullField(f.getKey());
                } else if (v instanceof String s) {
                    json.writeStringField(f.getKey(), s);
                } else if (v instanceof Boolean b) {
                    json.writeBooleanField(f.getKey(), b);
                } else if (v instanceof Integer || v instanceof Long) {
                    json.writeNumberField(f.getKey(), ((Number) v).longValue());
                } else {
                    throw new IllegalArgumentException("field " + f.getKey() + " is a " + v.getClass().getName());
                }
            }
            json.writeEndObject();
        } catch (IOException e) {
            throw new UncheckedIOException("writing JSON to memory cannot fail", e);
        }
        return text.toString();
    }

    /** The fields of one JSON object whose values are all scalars: String, Long, Boolean or null. */
    static Map<String, Object> read(String line) throws IOException {
        Map<String, Object> fields = new LinkedHashMap<>();
        try (JsonParser json = FACTORY.createParser(line)) {
            if (json.nextToken() != JsonToken.START_OBJECT) {
                throw new IOException("not a JSON object: " + abbreviated(line));
            }
            for (JsonToken t = json.nextToken(); t != JsonToken.END_OBJECT; t = json.nextToken()) {
                if (t != JsonToken.FIELD_NAME) {
                    throw new IOException("malformed JSON object: " + abbreviated(line));
                }
                String name = json.currentName();
                fields.put(name, switch (json.nextToken()) {
                    case VALUE_STRING -> json.getText();
                    case VALUE_NUMBER_INT -> json.getLongValue();
                    case VALUE_TRUE, VALUE_FALSE -> json.getBooleanValue();
                    case VALUE_NULL -> null;
                    default -> throw new IOException("field " + name + " is not a string, integer, boolean or null: "
                            + abbreviated(line));
                });
            }
            if (json.nextToken() != null) {
                throw new IOException("more than one JSON value on a line: " + abbreviated(line));
            }
        }
        return fields;
    }

    static boolean flag(Map<String, Object> fields, String name) {
        return fields.get(name) instanceof Boolean b && b;
    }

    private static String abbreviated(String line) {
        return line.length() <= 200 ? line : line.substring(0, 200) + "...";
    }
}
