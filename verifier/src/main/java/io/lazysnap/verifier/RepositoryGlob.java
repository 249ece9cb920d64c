package io.lazysnap.verifier;

import java.util.regex.Pattern;

/**
 * A pattern over normalised image names ({@code registry/repository}, e.g. {@code docker.io/library/alpine},
 * spelt as {@link PolicyNames} says; the pattern's host is normalised the same way):
 * {@code *} matches within one path component, {@code **} across components, {@code ?} one character.
 */
final class RepositoryGlob {

    private final String glob;
    private final Pattern pattern;

    RepositoryGlob(String glob) {
        if (glob.isBlank() || glob.contains("@") || glob.chars().anyMatch(Character::isWhitespace)) {
            throw new IllegalArgumentException("'" + glob + "' is not a registry/repository pattern (no digest,"
                    + " no spaces)");
        }
        this.glob = glob;
        String normal = PolicyNames.ofGlob(glob);
        StringBuilder regex = new StringBuilder();
        for (int i = 0; i < normal.length(); i++) {
            char c = normal.charAt(i);
            if (c == '*' && i + 1 < normal.length() && normal.charAt(i + 1) == '*') {
                regex.append(".*");
                i++;
            } else if (c == '*') {
                regex.append("[^/]*");
            } else if (c == '?') {
                regex.append("[^/]");
            } else {
                regex.append(Pattern.quote(String.valueOf(c)));
            }
        }
        this.pattern = Pattern.compile(regex.toString());
    }

    boolean matches(String name) {
        return pattern.matcher(name).matches();
    }

    @Override
    public String toString() {
        return glob;
    }
}
