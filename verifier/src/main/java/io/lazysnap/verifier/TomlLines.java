package io.lazysnap.verifier;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Where a table or key stands in TOML text, so that a policy error can name its line: the TOML parser keeps no
 * positions once it has built its tree. Tables are named by path with array indexes, e.g. {@code rule[1].keyless[0]}.
 * Inline tables and dotted keys are found at their table's line at worst.
 */
final class TomlLines {

    private static final Pattern HEADER = Pattern.compile("^\\s*(\\[\\[?)\\s*([A-Za-z0-9_.\" -]+?)\\s*]]?\\s*(#.*)?$");
    private static final Pattern KEY = Pattern.compile("^\\s*\"?([A-Za-z0-9_-]+)\"?\\s*=");

    private final Map<String, Integer> tables = new HashMap<>();
    private final Map<String, Integer> keys = new HashMap<>();

    TomlLines(String text) {
        String table = "";
        Map<String, Integer> arrayCounts = new HashMap<>();
        List<String> lines = text.lines().toList();
        for (int i = 0; i < lines.size(); i++) {
            int line = i + 1;
            Matcher h = HEADER.matcher(lines.get(i));
            if (h.matches()) {
                table = resolve(h.group(2).replace("\"", "").replace(" ", ""), h.group(1).equals("[["), arrayCounts);
                tables.putIfAbsent(table, line);
                continue;
            }
            Matcher k = KEY.matcher(lines.get(i));
            if (k.find()) {
                keys.putIfAbsent(table + "#" + k.group(1), line);
            }
        }
    }

    // "rule.keyless" inside the second [[rule]] is "rule[1].keyless"; a new [[x]] counts one more x.
    private static String resolve(String dotted, boolean array, Map<String, Integer> arrayCounts) {
        List<String> parts = new ArrayList<>(List.of(dotted.split("\\.")));
        StringBuilder path = new StringBuilder();
        for (int i = 0; i < parts.size(); i++) {
            if (i > 0) {
                path.append('.');
            }
            path.append(parts.get(i));
            String base = path.toString();
            boolean last = i == parts.size() - 1;
            if (last && array) {
                int index = arrayCounts.merge(base, 1, Integer::sum) - 1;
                path.append('[').append(index).append(']');
            } else if (arrayCounts.containsKey(base)) {
                path.append('[').append(arrayCounts.get(base) - 1).append(']');
            }
        }
        return path.toString();
    }

    /** The line of {@code key} in {@code table} ("" for the top level), else of the table, else 0. */
    int of(String table, String key) {
        Integer line = keys.get(table + "#" + key);
        return line != null ? line : of(table);
    }

    /** The line of the table's header, or 0. */
    int of(String table) {
        return tables.getOrDefault(table, 0);
    }
}
