package io.lazysnap.daemon;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.lazysnap.verifier.Mode;
import io.lazysnap.verifier.Policy;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code scripts/install} into a staging directory: what lands where, and a unit systemd accepts. */
class InstallScriptTest {

    private static final Path REPO = Path.of("").toAbsolutePath().getParent();

    @TempDir
    Path tmp;

    private String install(Path destdir, Path jar) throws IOException, InterruptedException {
        ProcessBuilder pb = new ProcessBuilder("sh", REPO.resolve("scripts/install").toString())
                .redirectErrorStream(true);
        pb.environment().putAll(Map.of("DESTDIR", destdir.toString(), "PREFIX", "/opt/lazysnap",
                "JAR", jar.toString()));
        Process p = pb.start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertEquals(0, p.waitFor(), out);
        return out;
    }

    @Test
    void installsLauncherJarConfigAndUnitUnderThePrefix() throws Exception {
        Path dest = tmp.resolve("dest");
        Path jar = Files.writeString(tmp.resolve("lazysnap-all.jar"), "jar");
        String out = install(dest, jar);

        assertEquals("jar", Files.readString(dest.resolve("opt/lazysnap/lib/lazysnap/lazysnap.jar")));
        Path launcher = dest.resolve("opt/lazysnap/bin/lazysnap");
        assertTrue(Files.isExecutable(launcher));
        assertTrue(Files.readString(launcher).contains("jar=\"${LAZYSNAP_JAR:-/opt/lazysnap/lib/lazysnap/lazysnap.jar}\""));
        assertTrue(Files.readString(launcher).contains("@${LAZYSNAP_SERVE_JVM:-/opt/lazysnap/lib/lazysnap/serve.jvm}"),
                "the daemon's JVM options file");
        assertTrue(Files.readString(dest.resolve("opt/lazysnap/lib/lazysnap/serve.jvm")).contains("-Xmx"));
        assertTrue(out.contains("the target needs: openjdk-17-jre-headless"), out);
        Path config = dest.resolve("etc/lazysnap/config.toml");
        assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(config)));
        DaemonConfig shipped = DaemonConfig.load(config); // the shipped example is a valid config
        // Safe on first run: signatures enforced, nobody trusted until the operator says whom.
        assertEquals("/etc/lazysnap/policy.toml", shipped.policy());
        Path policy = dest.resolve("etc/lazysnap/policy.toml");
        assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(policy)));
        assertEquals(Mode.ENFORCE, Policy.load(policy).defaultMode());
        String unit = Files.readString(dest.resolve("etc/systemd/system/lazysnap.service"));
        for (String line : List.of("ExecStart=/opt/lazysnap/bin/lazysnap serve --config /etc/lazysnap/config.toml",
                "KillMode=process", "Before=containerd.service", "Restart=on-failure", "LimitNOFILE=1048576")) {
            assertTrue(unit.lines().anyMatch(line::equals), line + " in\n" + unit);
        }
        assertTrue(Files.exists(dest.resolve("etc/default/lazysnap")));

        Files.writeString(config, "root = \"/srv/lazysnap\"\n");
        install(dest, jar);
        assertEquals("root = \"/srv/lazysnap\"\n", Files.readString(config), "an edited config survives a reinstall");
        Files.writeString(policy, "[default]\nmode = \"warn\"\n");
        install(dest, jar);
        assertEquals("[default]\nmode = \"warn\"\n", Files.readString(policy), "so does an edited policy");
    }

    @Test
    void theUnitPassesSystemdAnalyzeVerify() throws Exception {
        Path analyze = Path.of("/usr/bin/systemd-analyze");
        assumeTrue(Files.isExecutable(analyze), "systemd-analyze is not installed");
        Path dest = tmp.resolve("dest");
        install(dest, Files.writeString(tmp.resolve("lazysnap-all.jar"), "jar"));
        // verify checks that ExecStart exists, so point it at the staged launcher (and keep the unit's name).
        Path unit = Files.createDirectories(tmp.resolve("units")).resolve("lazysnap.service");
        Files.writeString(unit, Files.readString(dest.resolve("etc/systemd/system/lazysnap.service"))
                .replace("ExecStart=/opt/lazysnap/", "ExecStart=" + dest + "/opt/lazysnap/"));
        Process p = new ProcessBuilder(analyze.toString(), "verify", unit.toString()).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertEquals(0, p.waitFor(), out);
        assertTrue(out.isBlank(), out);
    }
}
