package io.lazysnap.fs;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Arrays;
import jnr.ffi.LibraryLoader;
import jnr.ffi.Pointer;
import jnr.ffi.Runtime;
import jnr.ffi.annotations.In;
import jnr.ffi.annotations.Out;

/**
 * The few Linux system calls a FUSE server and a file descriptor store need, through libc. Paths go in as
 * NUL-terminated UTF-8 bytes, so nothing depends on the JVM's default charset. Every call returns -1 with errno
 * set on failure, read by {@link #errno()} on the same thread.
 */
final class Syscalls {

    static final int O_RDONLY = 0;
    static final int O_RDWR = 02;
    static final int O_NONBLOCK = 04000;
    static final int O_CLOEXEC = 02000000;
    static final int EINTR = 4;
    static final int ENOENT = 2;
    static final int EAGAIN = 11;
    static final int EBUSY = 16;
    static final int EINVAL = 22;
    static final int ENODEV = 19;
    static final int ENOTCONN = 107;
    static final long MS_RDONLY = 1;
    static final long MS_NOSUID = 2;
    static final long MS_NODEV = 4;
    static final int MNT_DETACH = 2;
    static final short POLLIN = 1;
    static final int AF_UNIX = 1;
    static final int SOCK_DGRAM = 2;
    static final int SOCK_CLOEXEC = 02000000;
    static final int MSG_DONTWAIT = 0x40;
    static final int MSG_CMSG_CLOEXEC = 0x40000000;
    static final int SOL_SOCKET = 1;
    static final int SCM_RIGHTS = 1;
    static final int EFD_CLOEXEC = 02000000;
    static final int SIGKILL = 9;
    static final int F_SETFD = 2;
    static final int FD_CLOEXEC = 1;
    static final int SEEK_END = 2;
    private static final long SYS_PIDFD_OPEN = 434;
    private static final long SYS_PIDFD_GETFD = 438;

    /** libc's entry points, as jnr-ffi binds them. */
    public interface C {
        int open(@In byte[] path, int flags);

        int close(int fd);

        long read(int fd, Pointer buf, long count);

        long write(int fd, Pointer buf, long count);

        long pread(int fd, Pointer buf, long count, long offset);

        long lseek(int fd, long offset, int whence);

        int ioctl(int fd, long request, @In int[] arg);

        int fcntl(int fd, int cmd, int arg);

        int poll(Pointer fds, long nfds, int timeoutMillis);

        int eventfd(int initval, int flags);

        int mount(@In byte[] source, @In byte[] target, @In byte[] type, long flags, @In byte[] data);

        int umount2(@In byte[] target, int flags);

        int socketpair(int domain, int type, int protocol, @Out int[] fds);

        int socket(int domain, int type, int protocol);

        int setsockopt(int fd, int level, int name, @In int[] value, int length);

        long sendmsg(int fd, Pointer msg, int flags);

        long recvmsg(int fd, Pointer msg, int flags);

        long syscall(long number, long a, long b, long c);

        int posix_spawn_file_actions_init(Pointer actions);

        int posix_spawn_file_actions_adddup2(Pointer actions, int fd, int newfd);

        int posix_spawn_file_actions_addopen(Pointer actions, int fd, @In byte[] path, int flags, int mode);

        int posix_spawn_file_actions_addclosefrom_np(Pointer actions, int from);

        int posix_spawn_file_actions_destroy(Pointer actions);

        int posix_spawnattr_init(Pointer attr);

        int posix_spawnattr_setflags(Pointer attr, short flags);

        int posix_spawnattr_destroy(Pointer attr);

        int posix_spawn(@Out int[] pid, @In byte[] path, Pointer actions, Pointer attr, @In String[] argv,
                        @In String[] envp);

        int getpid();

        int kill(int pid, int signal);

        int waitpid(int pid, @Out int[] status, int options);

        int geteuid();

        int getegid();
    }

    static final C C = LibraryLoader.create(C.class).load("c");
    static final Runtime RUNTIME = Runtime.getRuntime(C);

    private Syscalls() {
    }

    static int errno() {
        return RUNTIME.getLastError();
    }

    /** A NUL-terminated UTF-8 string. */
    static byte[] cString(String s) {
        byte[] utf8 = s.getBytes(StandardCharsets.UTF_8);
        return Arrays.copyOf(utf8, utf8.length + 1);
    }

    /** Native memory of {@code size} bytes, zeroed, freed when unreachable. */
    static Pointer allocate(int size) {
        Pointer p = jnr.ffi.Memory.allocateDirect(RUNTIME, size, true);
        return p;
    }

    /** Throws unless {@code result} is not negative; returns it. */
    static int check(long result, String what) throws IOException {
        if (result < 0) {
            throw new IOException(what + " failed: " + strerror(errno()));
        }
        return (int) result;
    }

    static String strerror(int errno) {
        return switch (errno) {
            case ENOENT -> "ENOENT (no such file or directory)";
            case EINTR -> "EINTR";
            case EAGAIN -> "EAGAIN";
            case EBUSY -> "EBUSY (busy)";
            case EINVAL -> "EINVAL (invalid argument)";
            case ENODEV -> "ENODEV (no such device: is the fuse module loaded?)";
            case ENOTCONN -> "ENOTCONN (not connected)";
            case 1 -> "EPERM (operation not permitted: needs root)";
            case 3 -> "ESRCH (no such process)";
            case 9 -> "EBADF (bad file descriptor)";
            case 13 -> "EACCES (permission denied)";
            case 24 -> "EMFILE (too many open files)";
            case 38 -> "ENOSYS (not supported by this kernel)";
            default -> "errno " + errno;
        };
    }

    /**
     * Reads {@code length} bytes from {@code position} of the file at {@code path} into {@code to}, with no copy
     * through the heap; false if the file is not there, is not {@code size} bytes long, or ends early.
     */
    static boolean readFile(Path path, long size, long position, Pointer to, int length) {
        if (length > to.size()) {
            throw new IllegalArgumentException(length + " bytes do not fit in " + to.size());
        }
        int fd = C.open(cString(path.toString()), O_RDONLY | O_CLOEXEC);
        if (fd < 0) {
            return false;
        }
        try {
            if (C.lseek(fd, 0, SEEK_END) != size) {
                return false;
            }
            int done = 0;
            while (done < length) {
                long n = C.pread(fd, to.slice(done), length - done, position + done);
                if (n <= 0 && !(n < 0 && errno() == EINTR)) {
                    return false;
                }
                done += (int) Math.max(0, n);
            }
            return true;
        } finally {
            C.close(fd);
        }
    }

    static void closeQuietly(int fd) {
        if (fd >= 0) {
            C.close(fd);
        }
    }

    static int pidfdOpen(long pid) throws IOException {
        return check(C.syscall(SYS_PIDFD_OPEN, pid, 0, 0), "pidfd_open(" + pid + ")");
    }

    /** A duplicate, in this process, of file descriptor {@code targetFd} of the process behind {@code pidfd}. */
    static int pidfdGetfd(int pidfd, int targetFd) throws IOException {
        return check(C.syscall(SYS_PIDFD_GETFD, pidfd, targetFd, 0), "pidfd_getfd(" + targetFd + ")");
    }
}
