package io.lazysnap.verifier;

import java.util.regex.Pattern;

/** An identity value the policy accepts: exactly this string, or any string a regex matches as a whole. */
record TextMatcher(String text, Pattern regex) {

    static TextMatcher exact(String text) {
        return new TextMatcher(text, null);
    }

    static TextMatcher regex(String regex) {
        return new TextMatcher(null, Pattern.compile(regex));
    }

    boolean matches(String value) {
        return value != null && (regex != null ? regex.matcher(value).matches() : text.equals(value));
    }

    @Override
    public String toString() {
        return regex != null ? "~/" + regex.pattern() + "/" : "'" + text + "'";
    }
}
