package dev.coloha.mirror.stream;

import java.io.BufferedInputStream;
import java.io.InputStream;

/**
 * A stream's read buffer that tells how many bytes it holds without asking the socket: {@link
 * BufferedInputStream#available()} adds the socket's count, an {@code ioctl(FIONREAD)} per call,
 * and the I/O stream asked it after every request (issue 18: a syscall per frame). Whether more
 * requests are already read decides when replies are flushed; bytes still in the kernel are read
 * right after the flush.
 */
final class FrameBuffer extends BufferedInputStream {
  FrameBuffer(InputStream in, int size) {
    super(in, size);
  }

  /** Bytes read from the stream and not yet consumed (no system call). */
  synchronized int buffered() {
    return count - pos;
  }
}
