package io.lazysnap.daemon;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** Every key of the config file, its default, and every way to get one wrong. */
class DaemonConfigTest {

    @TempDir
    Path dir;

    @Test
    void defaults() {
        DaemonConfig c = DaemonConfig.defaults();
        assertEquals("/var/lib/lazysnap", c.root());
        assertEquals("/run/lazysnap/lazysnap.sock", c.address());
        assertEquals(false, c.allowUnverifiedToc());
        assertEquals(false, c.noPrefetch());
        assertEquals(false, c.noBackgroundFetch());
        assertEquals(0L, c.prefetchTimeoutSec());
        assertEquals(null, c.policy());
        assertEquals(null, c.metricsAddress());
        assertEquals("text", c.logFormat());
        assertEquals("/etc/containerd/certs.d", c.registry().hostsDir());
        assertEquals(List.of(), c.registry().plainHttp());
        assertEquals(System.getProperty("user.home") + "/.docker/config.json", c.registry().dockerConfig());
        assertEquals(16L << 20, c.cache().memoryBytes());
        assertEquals(10L << 30, c.cache().diskHighBytes());
        assertEquals((10L << 30) * 8 / 10, c.cache().diskLowBytes());
        assertEquals(85, c.cache().diskHighPercent());
        assertEquals(80, c.cache().diskLowPercent());
        assertEquals(new DaemonConfig.Blob(30L, 120L, 4, 200L, 10_000L), c.blob());
        assertEquals(new DaemonConfig.Fuse(3600L, 3600L, "auto", 10L, 120L, 0L, 30L), c.fuse());
        assertEquals(Map.of(), c.resolver().host());
        assertEquals(true, c.directoryCache().syncAdd());
        assertEquals(new DaemonConfig.Unpack(true, 4 << 20, 4, 8, 0.5), c.unpack());
    }

    @Test
    void theUnpackSection() throws Exception {
        assertEquals(new DaemonConfig.Unpack(false, 1 << 20, 2, 16, 2.0),
                load("[unpack]\nenabled = false\nchunk_size = 1048576\nconnections_per_layer = 2\nconnections = 16\n"
                        + "whole_pull_prefetch_share = 2.0\n").unpack());
    }

    @Test
    void everyKey() throws Exception {
        DaemonConfig c = load("""
                root = "/srv/lazysnap"
                address = "/run/x.sock"
                allow_unverified_toc = true
                noprefetch = true
                no_background_fetch = true
                prefetch_timeout_sec = 7
                policy = "/etc/lazysnap/policy.toml"
                metrics_address = "127.0.0.1:9099"
                log_format = "json"

                [registry]
                hosts_dir = "/etc/lazysnap/certs.d"
                plain_http = ["localhost:5000", "10.0.0.1:5000"]
                docker_config = "/root/.docker/other.json"

                [cache]
                memory_bytes = 1024
                disk_high_bytes = 4096
                disk_low_bytes = 2048
                disk_high_percent = 95
                disk_low_percent = 90

                [blob]
                fetching_timeout_sec = 7
                range_timeout_sec = 45
                max_retries = 0
                min_wait_msec = 30
                max_wait_msec = 300

                [fuse]
                attr_timeout = 1
                entry_timeout = 2

                [directory_cache]
                sync_add = false

                [[resolver.host."docker.io".mirrors]]
                host = "mirror.example.com"

                [[resolver.host."docker.io".mirrors]]
                host = "10.0.0.2:5000"
                insecure = true
                header = { X-Node = "n1", X-Multi = ["a", "b"] }
                """);
        assertEquals("/srv/lazysnap", c.root());
        assertEquals("/run/x.sock", c.address());
        assertTrue(c.allowUnverifiedToc() && c.noPrefetch() && c.noBackgroundFetch());
        assertEquals(7L, c.prefetchTimeoutSec());
        assertEquals("/etc/lazysnap/policy.toml", c.policy());
        assertEquals("127.0.0.1:9099", c.metricsAddress());
        assertEquals("json", c.logFormat());
        assertEquals(new DaemonConfig.Registry("/etc/lazysnap/certs.d", List.of("localhost:5000", "10.0.0.1:5000"),
                "/root/.docker/other.json"), c.registry());
        assertEquals(new DaemonConfig.Cache(1024L, 4096L, 2048L, 95, 90), c.cache());
        assertEquals(new DaemonConfig.Blob(7L, 45L, 0, 30L, 300L), c.blob());
        assertEquals(new DaemonConfig.Fuse(1L, 2L, "auto", 10L, 120L, 0L, 30L), c.fuse());
        assertEquals(false, c.directoryCache().syncAdd());
        List<DaemonConfig.Mirror> mirrors = c.resolver().host().get("docker.io").mirrors();
        assertEquals(new DaemonConfig.Mirror("mirror.example.com", false, Map.of()), mirrors.get(0));
        assertEquals("10.0.0.2:5000", mirrors.get(1).host());
        assertTrue(mirrors.get(1).insecure());
        assertEquals(Map.of("X-Node", List.of("n1"), "X-Multi", List.of("a", "b")), mirrors.get(1).headers());
        DaemonConfig flags = c.withOverrides(Path.of("/r"), Path.of("/a.sock"));
        assertEquals("/r", flags.root());
        assertEquals("/a.sock", flags.address());
        assertEquals(c.cache(), flags.cache(), "flags override only what they name");
    }

    @Test
    void anEmptyFileAndEmptyTablesMeanDefaults() throws Exception {
        assertEquals(DaemonConfig.defaults(), load(""));
        assertEquals(DaemonConfig.defaults(), load("[registry]\n[cache]\n[blob]\n[fuse]\n[directory_cache]\n[resolver]\n"));
    }

    @Test
    void aLowWatermarkDefaultsToEightyPercentOfTheHighOne() throws Exception {
        assertEquals(800L, load("[cache]\ndisk_high_bytes = 1000\n").cache().diskLowBytes());
        assertEquals(5000L, load("[blob]\nmin_wait_msec = 5000\nmax_wait_msec = 5000\n").blob().maxWaitMsec());
        assertEquals(20_000L, load("[blob]\nmin_wait_msec = 20000\n").blob().maxWaitMsec(), "at least the minimum");
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = '|', quoteCharacter = '`', textBlock = """
            rooot = "/x"                                 | unknown key rooot (known here: address, allow_unverified_toc,
            [cache]\\nmemory_byte = 1                    | unknown key cache.memory_byte (known here: disk_high_bytes,
            [blob]\\nchunk_size = 1                      | unknown key blob.chunk_size (a stargz-snapshotter setting lazysnap does not honour: chunks are the layer's own
            prefetch_timeout_sec = -1                    | prefetch_timeout_sec must be at least 0, not -1
            prefetch_timeout_sec = 1.5                   | key prefetch_timeout_sec: expected an integer
            [directory_cache]\\nmax_lru_cache_entry = 10 | unknown key directory_cache.max_lru_cache_entry (a stargz-snapshotter setting lazysnap does not honour: the memory cache is bounded in bytes: [cache] memory_bytes; entries x 4194304
            [directory_cache]\\ndirect = true         | unknown key directory_cache.direct (a stargz-snapshotter setting lazysnap does not honour: reads of chunks in the disk cache read only the part asked for
            [directory_cache]\\nmax_cache_fds = 10    | unknown key directory_cache.max_cache_fds (a stargz-snapshotter setting lazysnap does not honour: no cache file is kept open
            [directory_cache]\\nsync_add = 1          | key directory_cache.sync_add: expected true or false
            [[resolver.host."docker.io".mirrors]]\\nhost = "m"\\nrequest_timeout_sec = 3 | unknown key resolver.host.docker.io.mirrors[0].request_timeout_sec (a stargz-snapshotter setting lazysnap does not honour: one timeout serves every host
            [[resolver.host."docker.io".mirrors]]\\ninsecure = true | [resolver.host.docker.io.mirrors[0]] a mirror needs host = "<host[:port]>"
            [[resolver.host."docker.io".mirrors]]\\nhost = "m"\\nheader = { X = 1 } | [resolver.host.docker.io.mirrors[0]] mirror header X must be a string or an array of strings
            [resolver.host."docker.io".mirrors]\\nhost = "m" | key resolver.host.docker.io.mirrors: expected an array
            [fuse]\\npassthrough = true                  | unknown key fuse.passthrough (a stargz-snapshotter setting lazysnap does not honour: FUSE passthrough is not supported)
            noprefetch = "yes"                           | key noprefetch: expected true or false
            noprefetch = 1                               | key noprefetch: expected true or false
            root = 5                                     | key root: expected a string
            policy = true                                | key policy: expected a string
            [cache]\\nmemory_bytes = "1GiB"              | key cache.memory_bytes: expected an integer
            [cache]\\nmemory_bytes = 1.5                 | key cache.memory_bytes: expected an integer
            [cache]\\ndisk_high_percent = "85"           | key cache.disk_high_percent: expected an integer
            [blob]\\nmax_retries = true                  | key blob.max_retries: expected an integer
            [fuse]\\nattr_timeout = "1s"                 | key fuse.attr_timeout: expected an integer
            [registry]\\nplain_http = "localhost:5000"   | key registry.plain_http: expected an array
            [registry]\\nplain_http = [5000]             | key registry.plain_http[0]: expected a string
            cache = 5                                    | key cache: expected a table
            [cache]\\nmemory_bytes = -1                  | [cache] memory_bytes must be at least 0, not -1
            [cache]\\ndisk_high_bytes = -1               | [cache] disk_high_bytes must be at least 0, not -1
            [cache]\\ndisk_low_bytes = -5                | [cache] disk_low_bytes must be at least 0, not -5
            [cache]\\ndisk_high_bytes = 10\\ndisk_low_bytes = 11 | [cache] disk_low_bytes (11) must not exceed disk_high_bytes (10)
            [cache]\\ndisk_high_percent = 101            | [cache] disk_high_percent (101) must not exceed 100
            [cache]\\ndisk_high_percent = -1             | [cache] disk_high_percent must be at least 0, not -1
            [cache]\\ndisk_low_percent = 90              | [cache] disk_low_percent (90) must not exceed disk_high_percent (85)
            [blob]\\nfetching_timeout_sec = 0            | [blob] fetching_timeout_sec must be at least 1, not 0
            [blob]\\nmax_retries = -1                    | [blob] max_retries must be at least 0, not -1
            [blob]\\nmin_wait_msec = -1                  | [blob] min_wait_msec must be at least 0, not -1
            [blob]\\nmax_wait_msec = 10                  | [blob] min_wait_msec (200) must not exceed max_wait_msec (10)
            [fuse]\\nattr_timeout = -1                   | [fuse] attr_timeout must be at least 0, not -1
            [fuse]\\nentry_timeout = -1                  | [fuse] entry_timeout must be at least 0, not -1
            [unpack]\\nchunk_size = 1024                  | [unpack] chunk_size must be at least 65536, not 1024
            [unpack]\\nchunk_size = 134217728           | [unpack] chunk_size (134217728) must not exceed 67108864
            [unpack]\\nconnections = 0                   | [unpack] connections must be at least 1, not 0
            [unpack]\\nconnections_per_layer = 0         | [unpack] connections_per_layer must be at least 1, not 0
            [unpack]\\nwhole_pull_prefetch_share = 0.0   | [unpack] whole_pull_prefetch_share must be above 0 (above 1: never), not 0.0
            log_format = "xml"                           | log_format must be "text" or "json", not "xml"
            root = "a                                    | not valid TOML
            """)
    void rejected(String toml, String reason) throws Exception {
        Path file = dir.resolve("config.toml");
        Files.writeString(file, toml.replace("\\n", "\n") + "\n");
        IOException e = assertThrows(IOException.class, () -> DaemonConfig.load(file));
        assertTrue(e.getMessage().startsWith(file + ": " + reason), e.getMessage());
    }

    private DaemonConfig load(String toml) throws IOException {
        Path file = dir.resolve("config.toml");
        Files.writeString(file, toml);
        return DaemonConfig.load(file);
    }
}
