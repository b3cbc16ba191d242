package dev.coloha.microvm.wasi.fs;

import java.util.ArrayList;
import java.util.List;

/**
 * A file or directory of the data file system: its name in its parent directory, its size and, for
 * a file, the extents that map its sectors to sectors of the block device (sorted by file sector,
 * never overlapping; a sector no extent maps is a hole and reads as zeros). An inode whose parent
 * is {@link #ORPHAN} was unlinked while open and goes when its last descriptor closes (or at the
 * next mount).
 */
final class Inode {
  static final int ORPHAN = 0;

  /** A run of {@code count} file sectors from {@code fileSector} at {@code diskSector}. */
  record Extent(long fileSector, long diskSector, int count) {
    long fileEnd() {
      return fileSector + count;
    }

    long diskEnd() {
      return diskSector + count;
    }
  }

  final int id;
  final boolean dir;
  int parent;
  String name;
  long size;
  final List<Extent> extents;

  Inode(int id, boolean dir, int parent, String name, long size, List<Extent> extents) {
    this.id = id;
    this.dir = dir;
    this.parent = parent;
    this.name = name;
    this.size = size;
    this.extents = extents;
  }

  Inode copy() {
    return new Inode(id, dir, parent, name, size, new ArrayList<>(extents));
  }

  /** The device sector of file sector {@code s}, or -1 for a hole. */
  long diskSector(long s) {
    int lo = 0;
    int hi = extents.size() - 1;
    while (lo <= hi) {
      int mid = (lo + hi) >>> 1;
      Extent e = extents.get(mid);
      if (s < e.fileSector()) {
        hi = mid - 1;
      } else if (s >= e.fileEnd()) {
        lo = mid + 1;
      } else {
        return e.diskSector() + (s - e.fileSector());
      }
    }
    return -1;
  }

  /** Maps file sector {@code s} (a hole) to {@code disk}, merging with a neighbour when it can. */
  void map(long s, long disk) {
    int i = 0;
    while (i < extents.size() && extents.get(i).fileSector() < s) {
      i++;
    }
    if (i > 0) {
      Extent before = extents.get(i - 1);
      if (before.fileEnd() == s && before.diskEnd() == disk) {
        extents.set(
            i - 1, new Extent(before.fileSector(), before.diskSector(), before.count() + 1));
        if (i < extents.size()) {
          Extent after = extents.get(i);
          if (after.fileSector() == s + 1 && after.diskSector() == disk + 1) {
            Extent grown = extents.get(i - 1);
            extents.set(
                i - 1,
                new Extent(grown.fileSector(), grown.diskSector(), grown.count() + after.count()));
            extents.remove(i);
          }
        }
        return;
      }
    }
    if (i < extents.size()) {
      Extent after = extents.get(i);
      if (after.fileSector() == s + 1 && after.diskSector() == disk + 1) {
        extents.set(i, new Extent(s, disk, after.count() + 1));
        return;
      }
    }
    extents.add(i, new Extent(s, disk, 1));
  }

  /** Unmaps every file sector from {@code from} on; calls {@code freed} with each device run. */
  void unmapFrom(long from, java.util.function.BiConsumer<Long, Integer> freed) {
    for (int i = extents.size() - 1; i >= 0; i--) {
      Extent e = extents.get(i);
      if (e.fileEnd() <= from) {
        break;
      }
      if (e.fileSector() >= from) {
        freed.accept(e.diskSector(), e.count());
        extents.remove(i);
      } else {
        int keep = (int) (from - e.fileSector());
        freed.accept(e.diskSector() + keep, e.count() - keep);
        extents.set(i, new Extent(e.fileSector(), e.diskSector(), keep));
      }
    }
  }
}
