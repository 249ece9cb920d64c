package io.lazysnap.daemon.testsuite;

import static io.lazysnap.daemon.testsuite.Applier.all;
import static io.lazysnap.daemon.testsuite.Applier.chown;
import static io.lazysnap.daemon.testsuite.Applier.createDir;
import static io.lazysnap.daemon.testsuite.Applier.createFile;
import static io.lazysnap.daemon.testsuite.Applier.link;
import static io.lazysnap.daemon.testsuite.Applier.removeAll;
import static io.lazysnap.daemon.testsuite.Applier.rename;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.Timestamp;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.lazysnap.proto.snapshots.v1.Info;
import io.lazysnap.proto.snapshots.v1.Kind;
import io.lazysnap.daemon.Daemon;
import io.lazysnap.daemon.DaemonConfig;
import io.lazysnap.daemon.mount.Mounter;
import io.lazysnap.daemon.snapshot.MountSpec;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.Executable;
import org.junit.jupiter.api.io.TempDir;

/**
 * Every behaviour of containerd's snapshotter testsuite ({@code snapshots/testsuite}), run against the daemon
 * through its unix socket, with real overlay and bind mounts. Needs root.
 */
class SnapshotterSuiteTest {

    private static final Map<String, String> GC_ROOT = Map.of("containerd.io/gc.root", Instant.now().toString());

    @TempDir
    Path tmp;
    private Path work;
    private Daemon daemon;
    private RemoteSnapshotter sn;
    private final Deque<Path> mounted = new ArrayDeque<>();

    @BeforeEach
    void start() throws IOException {
        work = Files.createDirectories(tmp.resolve("work"));
        daemon = Daemon.start(DaemonConfig.at(tmp.resolve("root"), tmp.resolve("lazysnap.sock")));
        sn = new RemoteSnapshotter(tmp.resolve("lazysnap.sock"));
    }

    @AfterEach
    void stop() throws Exception {
        while (!mounted.isEmpty()) {
            Mounter.unmount(mounted.pop());
        }
        sn.close();
        daemon.close();
    }

    @Test
    void basic() throws IOException {
        Applier initial = all(createFile("/foo", "foo\n", 0777), createDir("/a", 0755), createDir("/a/b", 0755),
                createDir("/a/b/c", 0755));
        Applier diff = all(createFile("/bar", "bar\n", 0777), createFile("/foo", "bar\n", 0777), removeAll("/a/b"));

        Path preparing = dir("preparing");
        List<MountSpec> mounts = sn.prepare(preparing.toString(), "", GC_ROOT);
        assertTrue(mounts.size() >= 1);
        mount(mounts, preparing);
        initial.apply(preparing);
        unmount(preparing);

        String committed = work.resolve("committed").toString();
        sn.commit(committed, preparing.toString(), GC_ROOT);
        Info si = sn.stat(committed);
        assertEquals("", si.getParent());
        assertEquals(Kind.COMMITTED, si.getKind());
        assertCode(Status.Code.NOT_FOUND, () -> sn.stat(preparing.toString()));

        Path next = dir("nextlayer");
        mount(sn.prepare(next.toString(), committed, GC_ROOT), next);
        TreeAssert.assertSameTree(flat("expect-initial", initial), next);
        diff.apply(next);
        unmount(next);
        Info ni = sn.stat(next.toString());
        assertEquals(committed, ni.getParent());
        assertEquals(Kind.ACTIVE, ni.getKind());

        String nextCommitted = work.resolve("committed-next").toString();
        sn.commit(nextCommitted, next.toString(), GC_ROOT);
        Info si2 = sn.stat(nextCommitted);
        assertEquals(committed, si2.getParent());
        assertEquals(Kind.COMMITTED, si2.getKind());
        assertCode(Status.Code.NOT_FOUND, () -> sn.stat(next.toString()));

        Map<String, Info> walked = sn.list().stream().collect(Collectors.toMap(Info::getName, i -> i));
        assertEquals(si, walked.get(committed));
        assertEquals(si2, walked.get(nextCommitted));

        Path nextnext = dir("nextnextlayer");
        mount(sn.view(nextnext.toString(), nextCommitted, GC_ROOT), nextnext);
        TreeAssert.assertSameTree(flat("expect-all", all(initial, diff)), nextnext);
        unmount(nextnext);

        sn.remove(nextnext.toString());
        StatusRuntimeException refused = assertCode(Status.Code.FAILED_PRECONDITION, () -> sn.remove(committed));
        assertTrue(refused.getStatus().getDescription().contains("remove"), refused.getMessage());
        sn.remove(nextCommitted);
        sn.remove(committed);
    }

    @Test
    void statActive() throws IOException {
        Path preparing = prepareMounted("preparing", "");
        Files.writeString(preparing.resolve("foo"), "foo\n");
        Info si = sn.stat(preparing.toString());
        assertEquals(preparing.toString(), si.getName());
        assertEquals(Kind.ACTIVE, si.getKind());
        assertEquals("", si.getParent());
    }

    @Test
    void statCommitted() throws IOException {
        Path preparing = prepareMounted("preparing", "");
        Files.writeString(preparing.resolve("foo"), "foo\n");
        unmount(preparing);
        String committed = work.resolve("committed").toString();
        sn.commit(committed, preparing.toString(), GC_ROOT);
        Info si = sn.stat(committed);
        assertEquals(committed, si.getName());
        assertEquals(Kind.COMMITTED, si.getKind());
        assertEquals("", si.getParent());
    }

    @Test
    void transitivity() throws IOException {
        Path preparing = prepareMounted("preparing", "");
        Files.writeString(preparing.resolve("foo"), "foo\n");
        unmount(preparing);
        String snapA = work.resolve("snapA").toString();
        sn.commit(snapA, preparing.toString(), GC_ROOT);
        Path next = prepareMounted("next", snapA);
        Files.writeString(next.resolve("foo"), "foo bar\n");
        unmount(next);
        String snapB = work.resolve("snapB").toString();
        sn.commit(snapB, next.toString(), GC_ROOT);

        Info siA = sn.stat(snapA);
        Info siB = sn.stat(snapB);
        Info siParentB = sn.stat(siB.getParent());
        assertEquals("", siA.getParent());
        assertEquals(snapA, siB.getParent());
        assertEquals("", siParentB.getParent());
    }

    @Test
    void prepareAndViewWithTheSameKeyFail() throws IOException {
        Path preparing = prepareMounted("preparing", "");
        unmount(preparing);
        String snapA = work.resolve("snapA").toString();
        sn.commit(snapA, preparing.toString(), GC_ROOT);

        String newLayer = work.resolve("newlayer").toString();
        sn.prepare(newLayer, snapA, GC_ROOT);
        assertCode(Status.Code.ALREADY_EXISTS, () -> sn.view(newLayer, snapA, GC_ROOT));

        String prepLayer = work.resolve("prepLayer").toString();
        sn.prepare(prepLayer, snapA, GC_ROOT);
        assertCode(Status.Code.ALREADY_EXISTS, () -> sn.prepare(prepLayer, snapA, GC_ROOT));

        String viewLayer = work.resolve("viewLayer").toString();
        sn.view(viewLayer, snapA, GC_ROOT);
        assertCode(Status.Code.ALREADY_EXISTS, () -> sn.view(viewLayer, snapA, GC_ROOT));
    }

    @Test
    void update() {
        Instant t1 = Instant.now();
        baseTestSnapshots();
        Instant t2 = Instant.now();
        record Case(String name, Kind kind, String parent) {
        }
        for (Case tc : List.of(new Case("c1", Kind.COMMITTED, ""), new Case("c2", Kind.COMMITTED, "c1"),
                new Case("a1", Kind.ACTIVE, "c2"), new Case("a2", Kind.ACTIVE, ""),
                new Case("v1", Kind.VIEW, "c2"), new Case("v2", Kind.VIEW, ""))) {
            Info st = sn.stat(tc.name());
            Instant created = instant(st.getCreatedAt());
            assertTrue(!created.isBefore(t1) && !created.isAfter(t2), tc.name() + " created " + created);
            assertEquals(st.getCreatedAt(), st.getUpdatedAt(), tc.name());
            assertEquals(tc.kind(), st.getKind(), tc.name());
            assertEquals(tc.parent(), st.getParent(), tc.name());
            assertEquals(tc.name(), st.getName());

            String rootTime = Instant.now().toString();
            Map<String, String> expected = Map.of("l1", "v1", "l2", "v2", "l3", "v3", "containerd.io/gc.root", rootTime);
            Instant u1 = Instant.now();
            st = sn.update(st.toBuilder().setParent("doesnotexist").clearLabels().putAllLabels(expected).build());
            Instant u2 = Instant.now();
            assertEquals(created, instant(st.getCreatedAt()), tc.name());
            Instant updated = instant(st.getUpdatedAt());
            assertTrue(!updated.isBefore(u1) && !updated.isAfter(u2), tc.name() + " updated " + updated);
            assertEquals(tc.kind(), st.getKind());
            assertEquals(tc.parent(), st.getParent());
            assertEquals(tc.name(), st.getName());
            assertEquals(expected, st.getLabelsMap());

            st = sn.update(st.toBuilder().clearLabels().putAllLabels(Map.of("l1", "updated", "l4", "v4")).build(),
                    "labels.l1", "labels.l2");
            assertEquals(Map.of("l1", "updated", "l3", "v3", "containerd.io/gc.root", rootTime), st.getLabelsMap());

            Map<String, String> replaced = Map.of("l4", "v4", "containerd.io/gc.root", rootTime);
            st = sn.update(st.toBuilder().clearLabels().putAllLabels(replaced).build(), "labels");
            assertEquals(replaced, st.getLabelsMap());

            Info immutable = st.toBuilder().setParent("doesnotexist").build();
            assertCode(Status.Code.INVALID_ARGUMENT, () -> sn.update(immutable, "parent"));
        }
    }

    @Test
    void remove() {
        sn.prepare("committed-a", "", GC_ROOT);
        sn.commit("committed-1", "committed-a", GC_ROOT);
        sn.prepare("reuse-1", "committed-1", GC_ROOT);
        sn.remove("reuse-1");
        sn.view("reuse-1", "committed-1", GC_ROOT);
        sn.remove("reuse-1");
        sn.prepare("reuse-1", "", GC_ROOT);
        sn.remove("committed-1");
        sn.commit("committed-1", "reuse-1", GC_ROOT);
    }

    @Test
    void walkWithFilters() {
        Map<String, String> root = Map.of("containerd.io/gc.root", "check-walk");
        sn.prepare("a-np", "", root);
        sn.prepare("p-tmp", "", root);
        sn.commit("p", "p-tmp", root);
        sn.prepare("a", "p", root);
        sn.view("v", "p", root);
        sn.prepare("p-wl-tmp", "", root);
        sn.commit("p-wl", "p-wl-tmp", Map.of("l", "1", "containerd.io/gc.root", "check-walk"));
        sn.prepare("a-wl", "p-wl", Map.of("l", "2", "containerd.io/gc.root", "check-walk"));
        sn.view("v-wl", "p-wl", Map.of("l", "3", "containerd.io/gc.root", "check-walk"));
        sn.prepare("a-np-wl", "", Map.of("l", "2", "containerd.io/gc.root", "check-walk"));

        assertWalk(Set.of("a-np", "p", "a", "v", "p-wl", "a-wl", "v-wl", "a-np-wl"),
                "labels.\"containerd.io/gc.root\"==check-walk");
        assertWalk(Set.of("a-np", "a", "a-wl", "a-np-wl"), "kind==active,labels.\"containerd.io/gc.root\"==check-walk");
        assertWalk(Set.of("v", "v-wl"), "kind==view,labels.\"containerd.io/gc.root\"==check-walk");
        assertWalk(Set.of("p", "p-wl"), "kind==committed,labels.\"containerd.io/gc.root\"==check-walk");
        assertWalk(Set.of("p", "a-np-wl"), "name==p", "name==a-np-wl");
        assertWalk(Set.of("a-wl"), "name==a-wl,labels.l");
        assertWalk(Set.of("a", "v"), "parent==p");
        assertWalk(Set.of("a", "v", "a-wl", "v-wl"), "parent!=\"\",labels.\"containerd.io/gc.root\"==check-walk");
        assertWalk(Set.of("p-wl", "a-wl", "v-wl", "a-np-wl"), "labels.l");
        assertWalk(Set.of("a-wl", "a-np-wl"), "labels.l==2");
        assertWalk(Set.of("a-wl", "a-np-wl", "v-wl"), "labels.l~=^[23]$");
        // Looked up by label, as containerd finds a prepared layer: the other selectors still apply.
        assertWalk(Set.of("a", "v"), "labels.\"containerd.io/gc.root\"==check-walk,parent==p");
        assertWalk(Set.of("a-np-wl"), "labels.l==2,parent==\"\"");
        assertWalk(Set.of("p-wl", "v-wl"), "labels.l==1", "labels.l==3");
        assertEquals(List.of("p-wl"), names(sn.list("labels.l==1",
                        "labels.\"containerd.io/gc.root\"==check-walk,name==p-wl")),
                "a snapshot two filters match, by two of its labels, is listed once");
        assertCode(Status.Code.INVALID_ARGUMENT, () -> sn.list("labels.\"unterminated==x"));
    }

    @Test
    void layerFileUpdate() throws IOException {
        Applier l1 = all(createDir("/etc", 0700), createFile("/etc/hosts", "mydomain 10.0.0.1", 0644),
                createFile("/etc/profile", "PATH=/usr/bin", 0644));
        Applier l2 = all(createFile("/etc/hosts", "mydomain 10.0.0.2", 0644),
                createFile("/etc/profile", "PATH=/usr/bin", 0666), createDir("/root", 0700),
                createFile("/root/.bashrc", "PATH=/usr/sbin:/usr/bin", 0644));
        for (int i = 0; i < 3; i++) {
            checkSnapshots("run" + i, l1, l2);
        }
    }

    @Test
    void removeDirectoryInLowerLayer() throws IOException {
        checkSnapshots("s",
                all(createDir("/lib", 0700), createFile("/lib/hidden", "", 0644)),
                all(removeAll("/lib"), createDir("/lib", 0700), createFile("/lib/not-hidden", "", 0644)),
                createFile("/lib/newfile", "", 0644));
    }

    @Test
    void chownInUpperLayer() throws IOException {
        checkSnapshots("s",
                all(createDir("/opt", 0700), createDir("/opt/a", 0700), createDir("/opt/a/b", 0700),
                        createFile("/opt/a/b/file.txt", "hello", 0644)),
                all(chown("/opt", 1, 1), chown("/opt/a", 1, 1), chown("/opt/a/b", 1, 1),
                        chown("/opt/a/b/file.txt", 1, 1)));
    }

    @Test
    void directoryPermissionOnCommit() throws IOException {
        checkSnapshots("s",
                all(createDir("/dir1", 0700), createDir("/dir2", 0700), createDir("/dir3", 0700),
                        createDir("/dir4", 0700), createFile("/dir4/f1", "...", 0644), createDir("/dir5", 0700),
                        createFile("/dir5/f1", "...", 0644), chown("/dir1", 1, 1), chown("/dir2", 1, 1),
                        chown("/dir3", 1, 1), chown("/dir5", 1, 1), chown("/dir5/f1", 1, 1)),
                all(chown("/dir2", 0, 0), removeAll("/dir3"), chown("/dir4", 1, 1), chown("/dir4/f1", 1, 1)),
                all(createDir("/dir3", 0700), chown("/dir3", 1, 1), removeAll("/dir5"), createDir("/dir5", 0700),
                        chown("/dir5", 1, 1)));
    }

    @Test
    void removeIntermediateSnapshot() throws IOException {
        Path base = prepareMounted("base", "");
        unmount(base);
        String committedBase = work.resolve("committed-base").toString();
        sn.commit(committedBase, base.toString(), GC_ROOT);
        String intermediate = work.resolve("intermediate").toString();
        sn.prepare(intermediate, committedBase, GC_ROOT);
        String committedInter = work.resolve("committed-inter").toString();
        sn.commit(committedInter, intermediate, GC_ROOT);
        String top = work.resolve("toplayer").toString();
        sn.prepare(top, committedInter, GC_ROOT);

        assertCode(Status.Code.FAILED_PRECONDITION, () -> sn.remove(committedInter));
        sn.remove(top);
        sn.remove(committedInter);
        sn.remove(committedBase);
    }

    @Test
    void deletedFilesInChildSnapshot() throws IOException {
        checkSnapshots("s", all(createFile("/foo", "foo\n", 0777), createFile("/foobar", "foobar\n", 0777)),
                removeAll("/foobar"), all());
    }

    @Test
    void moveFileFromLowerLayer() throws IOException {
        checkSnapshots("s",
                all(createDir("/dir1", 0700), createFile("/dir1/f1", "Hello", 0644), createDir("dir2", 0700),
                        createFile("dir2/f2", "...", 0644)),
                all(createDir("/dir3", 0700), createFile("/dir3/f1", "Hello", 0644), removeAll("/dir1"),
                        link("dir2/f2", "dir3/f2"), removeAll("dir2/f2")));
    }

    @Test
    void renameInUpperLayer() throws IOException {
        checkSnapshots("s",
                all(createDir("/dir1", 0700), createDir("/somefiles", 0700),
                        createFile("/somefiles/f1", "was here first!", 0644),
                        createFile("/somefiles/f2", "nothing interesting", 0644)),
                all(rename("/dir1", "/dir2"), createFile("/somefiles/f1-overwrite", "new content 1", 0644),
                        rename("/somefiles/f1-overwrite", "/somefiles/f1"), rename("/somefiles/f2", "/somefiles/f3")));
    }

    @Test
    void viewIsReadOnly() throws IOException {
        String preparing = work.resolve("preparing").toString();
        sn.prepare(preparing, "", GC_ROOT);
        String committed = work.resolve("committed").toString();
        sn.commit(committed, preparing, GC_ROOT);
        String view = work.resolve("view").toString();
        List<MountSpec> m = sn.view(view, committed, GC_ROOT);
        Path mountPoint = dir("view-mount");
        mount(m, mountPoint);
        assertThrows(IOException.class, () -> Files.writeString(mountPoint.resolve("testfile"), "testcontent"));
        unmount(mountPoint);
        sn.remove(view);
        sn.remove(committed);
    }

    @Test
    void statInWalk() throws IOException {
        String prefix = "stats-in-walk-";
        Path c1a = prepareMounted(prefix + "c1-a", "");
        Files.writeString(c1a.resolve("base"), "base\n");
        unmount(c1a);
        sn.commit(prefix + "c1", c1a.toString(), GC_ROOT);
        sn.prepare(prefix + "c2-a", prefix + "c1", GC_ROOT);
        sn.commit(prefix + "c2", prefix + "c2-a", GC_ROOT);
        sn.prepare(prefix + "a1", prefix + "c2", GC_ROOT);
        sn.view(prefix + "v1", prefix + "c2", GC_ROOT);

        List<Info> walked = sn.list();
        assertEquals(4, walked.size());
        for (Info si : walked) {
            assertEquals(si, sn.stat(si.getName()));
        }
    }

    @Test
    void closeTwice() {
        sn.prepare("closeTwice-prepare", "", GC_ROOT);
        sn.commit("closeTwice", "closeTwice-prepare", GC_ROOT);
        sn.remove("closeTwice");
        daemon.close();
        daemon.close();
    }

    @Test
    void rootPermission() throws IOException {
        Path preparing = prepareMounted("preparing", "");
        int mode = (Integer) Files.getAttribute(preparing, "unix:mode");
        assertEquals(0755, mode & 0777, "mode " + Integer.toOctalString(mode));
    }

    @Test
    void mounts128Layers() throws IOException {
        List<Applier> appliers = new ArrayList<>();
        appliers.add(all(createFile("/bottom", "way at the bottom\n", 0777), createFile("/overwriteme", "FIRST!\n", 0777),
                createDir("/ADDHERE", 0755), createDir("/ONLYME", 0755), createFile("/ONLYME/bottom", "bye!\n", 0777)));
        for (int i = 1; i <= 127; i++) {
            appliers.add(all(createFile("/overwriteme", i + " WAS HERE!\n", 0777),
                    createFile("/ADDHERE/file-" + i, "same\n", 0755), removeAll("/ONLYME"), createDir("/ONLYME", 0755),
                    createFile("/ONLYME/file-" + i, "only me!\n", 0777)));
        }
        Path flat = dir("flat");
        String parent = "";
        for (int i = 0; i < appliers.size(); i++) {
            Path preparing = dir("prepare-layer-" + i);
            mount(sn.prepare(preparing.toString(), parent, GC_ROOT), preparing);
            TreeAssert.assertSameTree(flat, preparing);
            appliers.get(i).apply(flat);
            appliers.get(i).apply(preparing);
            TreeAssert.assertSameTree(flat, preparing);
            unmount(preparing);
            parent = work.resolve("committed-" + i).toString();
            sn.commit(parent, preparing.toString(), GC_ROOT);
        }
        Path view = dir("fullview");
        List<MountSpec> mounts = sn.view(view.toString(), parent, GC_ROOT);
        String lowerdir = mounts.get(0).options().stream().filter(o -> o.startsWith("lowerdir=")).findFirst().orElseThrow();
        assertTrue(lowerdir.length() > 4096 - 512, "the lowerdir list should exceed one page: " + lowerdir.length());
        mount(mounts, view);
        TreeAssert.assertSameTree(flat, view);
    }

    // --- checks beyond containerd's suite: the error contract, usage and cleanup ---

    @Test
    void errorsCarryContainerdCodes() {
        assertCode(Status.Code.NOT_FOUND, () -> sn.stat("missing"));
        assertCode(Status.Code.NOT_FOUND, () -> sn.mounts("missing"));
        assertCode(Status.Code.NOT_FOUND, () -> sn.remove("missing"));
        assertCode(Status.Code.NOT_FOUND, () -> sn.commit("x", "missing", Map.of()));
        assertCode(Status.Code.NOT_FOUND, () -> sn.prepare("k", "no-such-parent", Map.of()));
        assertCode(Status.Code.INVALID_ARGUMENT, () -> sn.prepare("", "", Map.of()));

        sn.prepare("active", "", Map.of());
        assertCode(Status.Code.INVALID_ARGUMENT, () -> sn.prepare("child-of-active", "active", Map.of()));
        sn.view("a-view", "", Map.of());
        assertCode(Status.Code.FAILED_PRECONDITION, () -> sn.commit("from-view", "a-view", Map.of()));
        sn.commit("done", "active", Map.of());
        assertCode(Status.Code.FAILED_PRECONDITION, () -> sn.mounts("done"));
        sn.prepare("again", "", Map.of());
        assertCode(Status.Code.ALREADY_EXISTS, () -> sn.commit("done", "again", Map.of()));
        assertEquals(Kind.ACTIVE, sn.stat("again").getKind(), "a refused commit leaves the active snapshot alone");
        assertCode(Status.Code.INVALID_ARGUMENT, () -> sn.commitWithParent("rebased", "again", "done"));
    }

    @Test
    void labelsAreCappedAt4096BytesPerKeyAndValue() {
        String key = "k".repeat(96);
        sn.prepare("fits", "", Map.of(key, "v".repeat(4096 - 96)));
        StatusRuntimeException e = assertCode(Status.Code.INVALID_ARGUMENT,
                () -> sn.prepare("too-big", "", Map.of(key, "v".repeat(4096 - 95))));
        assertTrue(e.getStatus().getDescription().contains("4096"), e.getMessage());
        assertCode(Status.Code.NOT_FOUND, () -> sn.stat("too-big"));
        Info fits = sn.stat("fits");
        assertCode(Status.Code.INVALID_ARGUMENT,
                () -> sn.update(fits.toBuilder().putLabels("big", "x".repeat(4096)).build(), "labels.big"));
    }

    @Test
    void usageMeasuresActiveAndRecordsCommitted() throws IOException {
        Path preparing = prepareMounted("preparing", "");
        Files.write(preparing.resolve("blob"), new byte[100_000]);
        Files.createLink(preparing.resolve("hardlink"), preparing.resolve("blob"));
        Files.createDirectory(preparing.resolve("d"));
        assertEquals(100_000, sn.usage(preparing.toString()).getSize() - dirSizes(preparing));
        assertEquals(3, sn.usage(preparing.toString()).getInodes(), "root, blob (counted once) and d");
        unmount(preparing);
        sn.commit("c", preparing.toString(), Map.of());
        assertEquals(3, sn.usage("c").getInodes());
        assertTrue(sn.usage("c").getSize() >= 100_000);
    }

    @Test
    void viewMountsAreReadOnlyBindForOneLayerAndOverlayForMore() {
        sn.prepare("l1-a", "", Map.of());
        sn.commit("l1", "l1-a", Map.of());
        sn.prepare("l2-a", "l1", Map.of());
        sn.commit("l2", "l2-a", Map.of());
        List<MountSpec> one = sn.view("v1", "l1", Map.of());
        assertEquals("bind", one.get(0).type());
        assertTrue(one.get(0).options().contains("ro"));
        List<MountSpec> two = sn.view("v2", "l2", Map.of());
        assertEquals("overlay", two.get(0).type());
        assertTrue(two.get(0).options().stream().noneMatch(o -> o.startsWith("upperdir=")));
        String lowers = two.get(0).options().stream().filter(o -> o.startsWith("lowerdir=")).findFirst().orElseThrow();
        List<MountSpec> active = sn.prepare("top", "l2", Map.of());
        assertTrue(active.get(0).options().contains(lowers), "newest layer first, same list for views and actives");
        assertTrue(active.get(0).options().stream().anyMatch(o -> o.startsWith("upperdir=")));
    }

    @Test
    void cleanupRemovesDirectoriesWithoutRecord() throws IOException {
        sn.prepare("kept", "", Map.of());
        Path snapshots = tmp.resolve("root/snapshots");
        Path orphan = Files.createDirectories(snapshots.resolve("9999/fs"));
        Files.writeString(orphan.resolve("junk"), "junk");
        Files.createDirectories(snapshots.resolve("new-interrupted"));
        Set<String> before = list(snapshots);
        sn.cleanup();
        before.removeAll(Set.of("9999", "new-interrupted"));
        assertEquals(1, before.size(), "the kept snapshot's directory: " + before);
        assertEquals(before, list(snapshots));
        assertEquals(List.of("kept"), sn.list().stream().map(Info::getName).toList());
    }

    @Test
    void snapshotsSurviveARestart() throws Exception {
        Path preparing = prepareMounted("preparing", "");
        Files.writeString(preparing.resolve("hello"), "world\n");
        unmount(preparing);
        sn.commit("base", preparing.toString(), Map.of("l", "1"));
        sn.prepare("top", "base", Map.of());
        List<Info> before = sn.list();

        sn.close();
        daemon.close();
        daemon = Daemon.start(DaemonConfig.at(tmp.resolve("root"), tmp.resolve("lazysnap.sock")));
        sn = new RemoteSnapshotter(tmp.resolve("lazysnap.sock"));

        assertEquals(new TreeSet<>(names(before)), new TreeSet<>(names(sn.list())));
        assertEquals(Map.of("l", "1"), sn.stat("base").getLabelsMap());
        Path top = dir("top");
        mount(sn.mounts("top"), top);
        assertEquals("world\n", Files.readString(top.resolve("hello")));
    }

    // --- helpers mirroring containerd's testsuite helpers ---

    /** Builds a chain of committed layers, one per applier, and checks a view of each against a flat copy. */
    private void checkSnapshots(String prefix, Applier... layers) throws IOException {
        Path flat = dir(prefix + "-flat");
        String parent = "";
        for (int i = 0; i < layers.length; i++) {
            Path preparing = dir(prefix + "-preparing-" + i);
            mount(sn.prepare(preparing.toString(), parent, GC_ROOT), preparing);
            layers[i].apply(flat);
            layers[i].apply(preparing);
            unmount(preparing);
            String snapshot = work.resolve(prefix + "-snapshot-" + i).toString();
            sn.commit(snapshot, preparing.toString(), GC_ROOT);
            parent = snapshot;

            Path check = dir(prefix + "-check-" + i);
            mount(sn.view(check.toString(), parent, GC_ROOT), check);
            TreeAssert.assertSameTree(flat, check);
            unmount(check);
            sn.remove(check.toString());
        }
    }

    private void baseTestSnapshots() {
        sn.prepare("c1-a", "", GC_ROOT);
        sn.commit("c1", "c1-a", GC_ROOT);
        sn.prepare("c2-a", "c1", GC_ROOT);
        sn.commit("c2", "c2-a", GC_ROOT);
        sn.prepare("a1", "c2", GC_ROOT);
        sn.prepare("a2", "", GC_ROOT);
        sn.view("v1", "c2", GC_ROOT);
        sn.view("v2", "", GC_ROOT);
    }

    private Path prepareMounted(String name, String parent) throws IOException {
        Path target = dir(name);
        mount(sn.prepare(target.toString(), parent, GC_ROOT), target);
        return target;
    }

    private Path flat(String name, Applier applier) throws IOException {
        Path d = dir(name);
        applier.apply(d);
        return d;
    }

    private Path dir(String name) throws IOException {
        return Files.createDirectories(work.resolve(name));
    }

    private void mount(List<MountSpec> mounts, Path target) throws IOException {
        TestMounts.mountAll(mounts, target);
        mounted.push(target);
    }

    private void unmount(Path target) throws IOException {
        Mounter.unmount(target);
        mounted.remove(target);
    }

    private void assertWalk(Set<String> expected, String... filters) {
        assertEquals(new TreeSet<>(expected), new TreeSet<>(names(sn.list(filters))), String.join(" | ", filters));
    }

    private static List<String> names(List<Info> infos) {
        return infos.stream().map(Info::getName).toList();
    }

    private static Set<String> list(Path dir) throws IOException {
        try (var entries = Files.list(dir)) {
            return entries.map(p -> p.getFileName().toString()).collect(Collectors.toSet());
        }
    }

    private static long dirSizes(Path root) throws IOException {
        return (Long) Files.getAttribute(root, "size") + (Long) Files.getAttribute(root.resolve("d"), "size");
    }

    private static Instant instant(Timestamp t) {
        return Instant.ofEpochSecond(t.getSeconds(), t.getNanos());
    }

    private static StatusRuntimeException assertCode(Status.Code code, Executable call) {
        StatusRuntimeException e = assertThrows(StatusRuntimeException.class, call);
        assertEquals(code, e.getStatus().getCode(), e.getMessage());
        return e;
    }
}
