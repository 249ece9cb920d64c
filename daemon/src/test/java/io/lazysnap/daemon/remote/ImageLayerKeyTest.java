package io.lazysnap.daemon.remote;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;

import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

class ImageLayerKeyTest {

    private static final ImageLayerKey KEY = new ImageLayerKey("registry/app:1", "sha256:m", "sha256:l");

    @Test
    void keysOfTheSameImageManifestAndLayerAreOneEntry() {
        ImageLayerKey same = new ImageLayerKey(new String("registry/app:1"), new String("sha256:m"),
                new String("sha256:l"));
        assertEquals(KEY, same);
        assertEquals(KEY.hashCode(), same.hashCode());
        assertEquals(1, new HashSet<>(List.of(KEY, same)).size());
    }

    @Test
    void anotherImageManifestOrLayerIsAnotherEntry() {
        List<ImageLayerKey> others = List.of(new ImageLayerKey("registry/other:1", "sha256:m", "sha256:l"),
                new ImageLayerKey("registry/app:1", "sha256:other", "sha256:l"),
                new ImageLayerKey("registry/app:1", "sha256:m", "sha256:other"));
        for (ImageLayerKey other : others) {
            assertNotEquals(KEY, other);
            assertNotEquals(other, KEY);
        }
        Set<ImageLayerKey> all = new HashSet<>(others);
        all.add(KEY);
        assertEquals(4, all.size());
        assertNotEquals(KEY, "registry/app:1");
    }
}
