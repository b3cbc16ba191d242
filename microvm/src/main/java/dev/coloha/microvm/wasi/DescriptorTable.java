package dev.coloha.microvm.wasi;

import java.util.Map;
import java.util.TreeMap;

/** A WASI guest's file descriptors: the lowest free number is handed out first, as in POSIX. */
public final class DescriptorTable {
  private final TreeMap<Integer, Descriptor> open = new TreeMap<>();
  private final int max;

  public DescriptorTable(int max) {
    this.max = max;
  }

  /**
   * The descriptors of a fresh guest: stdin, stdout, stderr and the listening socket (none when
   * {@code listenFd} is negative: an inetd program).
   */
  public static DescriptorTable initial(int max, int listenFd) {
    DescriptorTable t = new DescriptorTable(max);
    t.put(0, new Descriptor.Stdio(0, 0));
    t.put(1, new Descriptor.Stdio(1, 0));
    t.put(2, new Descriptor.Stdio(2, 0));
    if (listenFd >= 0) {
      t.put(listenFd, new Descriptor.Listener(0));
    }
    return t;
  }

  public Descriptor get(int fd) {
    return open.get(fd);
  }

  /** Opens {@code d} at the lowest free descriptor; -1 when the table is full. */
  public int open(Descriptor d) {
    if (open.size() >= max) {
      return -1;
    }
    int fd = 0;
    for (int used : open.keySet()) {
      if (used != fd) {
        break;
      }
      fd++;
    }
    open.put(fd, d);
    return fd;
  }

  public void put(int fd, Descriptor d) {
    open.put(fd, d);
  }

  public Descriptor close(int fd) {
    return open.remove(fd);
  }

  public Map<Integer, Descriptor> all() {
    return open;
  }

  public int size() {
    return open.size();
  }

  public int max() {
    return max;
  }

  /** Replaces every descriptor with those of {@code other} (a checkpoint's). */
  public void replaceWith(DescriptorTable other) {
    open.clear();
    open.putAll(other.open);
  }
}
