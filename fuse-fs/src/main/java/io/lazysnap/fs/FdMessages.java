package io.lazysnap.fs;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import jnr.ffi.Pointer;

/**
 * Datagrams on a Unix socket that carry file descriptors (SCM_RIGHTS): a descriptor in a message is a reference
 * to its open file, kept alive by the kernel while the message is queued, whoever sent it.
 */
final class FdMessages {

    /** A received message: its text and the descriptors it carried (now open in this process). */
    record Message(String text, int[] fds) {
    }

    private static final int MSGHDR = 56;
    private static final int IOVEC = 16;
    private static final int CMSG_HEADER = 16;
    private static final int MAX_FDS = 253; // SCM_MAX_FD
    private static final int TEXT = 4096;
    private static final int MSG_CTRUNC = 0x8;

    private FdMessages() {
    }

    /**
     * Sends {@code text} with {@code fd} (none if negative) on {@code socket}, to {@code address} (a Unix socket path,
     * {@code @} for the abstract namespace) or, if null, to the socket's peer. Never blocks.
     */
    static void send(int socket, String text, int fd, String address) throws IOException {
        byte[] bytes = text.getBytes(StandardCharsets.UTF_8);
        if (bytes.length > TEXT) {
            throw new IOException("message of " + bytes.length + " bytes is too long");
        }
        Pointer m = Syscalls.allocate(MSGHDR + IOVEC + CMSG_HEADER + 8 + TEXT + 112);
        long base = m.address();
        int iov = MSGHDR;
        int control = iov + IOVEC;
        int data = control + CMSG_HEADER + 8;
        int name = data + TEXT;
        m.put(data, bytes, 0, bytes.length);
        m.putAddress(iov, base + data);
        m.putLong(iov + 8, bytes.length);
        if (address != null) {
            byte[] path = address.getBytes(StandardCharsets.UTF_8);
            if (path.length > 107) {
                throw new IOException("socket path " + address + " is too long");
            }
            m.putShort(name, (short) Syscalls.AF_UNIX);
            m.put(name + 2, path, 0, path.length);
            if (path[0] == '@') {
                m.putByte(name + 2, (byte) 0);
            }
            m.putAddress(0, base + name);
            m.putInt(8, 2 + path.length + (path[0] == '@' ? 0 : 1));
        }
        m.putAddress(16, base + iov);
        m.putLong(24, 1);
        if (fd >= 0) {
            m.putLong(control, CMSG_HEADER + 4);
            m.putInt(control + 8, Syscalls.SOL_SOCKET);
            m.putInt(control + 12, Syscalls.SCM_RIGHTS);
            m.putInt(control + CMSG_HEADER, fd);
            m.putAddress(32, base + control);
            m.putLong(40, CMSG_HEADER + 8);
        }
        if (Syscalls.C.sendmsg(socket, m, Syscalls.MSG_DONTWAIT) < 0) {
            throw new IOException("sendmsg failed: " + Syscalls.strerror(Syscalls.errno()));
        }
    }

    /** The next message queued on {@code socket}, or null if there is none. Never blocks. */
    static Message receive(int socket) throws IOException {
        int controlSize = CMSG_HEADER + 4 * MAX_FDS + 4;
        Pointer m = Syscalls.allocate(MSGHDR + IOVEC + controlSize + TEXT);
        long base = m.address();
        int iov = MSGHDR;
        int control = iov + IOVEC;
        int data = control + controlSize;
        m.putAddress(iov, base + data);
        m.putLong(iov + 8, TEXT);
        m.putAddress(16, base + iov);
        m.putLong(24, 1);
        m.putAddress(32, base + control);
        m.putLong(40, controlSize);
        long n = Syscalls.C.recvmsg(socket, m, Syscalls.MSG_DONTWAIT | Syscalls.MSG_CMSG_CLOEXEC);
        if (n < 0) {
            int errno = Syscalls.errno();
            if (errno == Syscalls.EAGAIN) {
                return null;
            }
            throw new IOException("recvmsg failed: " + Syscalls.strerror(errno));
        }
        int[] fds = new int[0];
        long controlLength = m.getLong(40);
        if (controlLength >= CMSG_HEADER && m.getInt(control + 8) == Syscalls.SOL_SOCKET
                && m.getInt(control + 12) == Syscalls.SCM_RIGHTS) {
            fds = new int[(int) ((m.getLong(control) - CMSG_HEADER) / 4)];
            for (int i = 0; i < fds.length; i++) {
                fds[i] = m.getInt(control + CMSG_HEADER + 4 * i);
            }
        }
        if ((m.getInt(48) & MSG_CTRUNC) != 0) {
            for (int fd : fds) {
                Syscalls.closeQuietly(fd);
            }
            throw new IOException("a stored message carried more descriptors than " + MAX_FDS);
        }
        byte[] text = new byte[(int) n];
        m.get(data, text, 0, text.length);
        return new Message(new String(text, StandardCharsets.UTF_8), fds);
    }
}
