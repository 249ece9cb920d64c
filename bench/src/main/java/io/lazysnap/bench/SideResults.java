package io.lazysnap.bench;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The numbers JMH cannot carry for a single-shot benchmark (bytes, RSS, the link's shaping), appended as JSON
 * lines by the forked benchmark JVMs to the file named by {@code -Dlazysnap.bench.side}, read back by
 * {@link Main} to write the table.
 */
final class SideResults {

    static final String PROPERTY = "lazysnap.bench.side";
    private static final Logger LOG = LoggerFactory.getLogger(SideResults.class);
    private static final ObjectMapper JSON = new ObjectMapper();

    /** A note about a run as a whole, e.g. how the link was shaped. */
    record Note(String key, String value) {
    }

    private SideResults() {
    }

    static void append(Measurement m) throws IOException {
        write("m " + JSON.writeValueAsString(m));
        LOG.info("{}", m);
    }

    static void note(String key, String value) throws IOException {
        write("n " + JSON.writeValueAsString(new Note(key, value)));
    }

    private static synchronized void write(String line) throws IOException {
        String file = System.getProperty(PROPERTY);
        if (file != null) {
            Files.writeString(Path.of(file), line + "\n", StandardCharsets.UTF_8, StandardOpenOption.CREATE,
                    StandardOpenOption.APPEND);
        }
    }

    static List<Measurement> measurements(Path file) throws IOException {
        List<Measurement> out = new ArrayList<>();
        for (String line : lines(file)) {
            if (line.startsWith("m ")) {
                out.add(JSON.readValue(line.substring(2), Measurement.class));
            }
        }
        return out;
    }

    static List<Note> notes(Path file) throws IOException {
        List<Note> out = new ArrayList<>();
        for (String line : lines(file)) {
            if (line.startsWith("n ")) {
                out.add(JSON.readValue(line.substring(2), Note.class));
            }
        }
        return out;
    }

    private static List<String> lines(Path file) throws IOException {
        return Files.exists(file) ? Files.readAllLines(file, StandardCharsets.UTF_8) : List.of();
    }
}
