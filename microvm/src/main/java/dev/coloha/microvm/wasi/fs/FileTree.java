package dev.coloha.microvm.wasi.fs;

import dev.coloha.wire.CorruptStreamException;
import dev.coloha.wire.frame.Payload;
import dev.coloha.wire.frame.PayloadBuilder;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.function.Consumer;

/**
 * The metadata of the data file system: every inode by id, and each directory's entries by name.
 * Its encoding is both the metadata image on the disk and the file system's part of a checkpoint
 * (docs/guest-abi.md, "Files under /data").
 */
final class FileTree {
  static final int ROOT = 1;
  static final int MAX_NAME_BYTES = 255;
  static final int MAX_INODES = 1 << 20;
  static final int MAX_EXTENTS = 1 << 22;

  private final TreeMap<Integer, Inode> inodes = new TreeMap<>();
  private final Map<Integer, TreeMap<String, Integer>> entries = new HashMap<>();
  private int nextId;

  private FileTree(int nextId) {
    this.nextId = nextId;
  }

  /** A tree holding only the root directory. */
  static FileTree empty() {
    FileTree t = new FileTree(ROOT + 1);
    t.add(new Inode(ROOT, true, ROOT, "", 0, new ArrayList<>()));
    return t;
  }

  FileTree copy() {
    FileTree t = new FileTree(nextId);
    for (Inode i : inodes.values()) {
      t.inodes.put(i.id, i.copy());
    }
    for (var e : entries.entrySet()) {
      t.entries.put(e.getKey(), new TreeMap<>(e.getValue()));
    }
    return t;
  }

  private void add(Inode i) {
    inodes.put(i.id, i);
    if (i.dir) {
      entries.put(i.id, new TreeMap<>());
    }
    if (i.id != ROOT && i.parent != Inode.ORPHAN) {
      entries.get(i.parent).put(i.name, i.id);
    }
  }

  Inode get(int id) {
    return inodes.get(id);
  }

  /** The entry {@code name} of directory {@code dir}, or null. */
  Inode lookup(int dir, String name) {
    TreeMap<String, Integer> e = entries.get(dir);
    Integer id = e == null ? null : e.get(name);
    return id == null ? null : inodes.get(id);
  }

  /** The entries of a directory, sorted by name. */
  List<Inode> list(int dir) {
    List<Inode> out = new ArrayList<>();
    for (int id : entries.get(dir).values()) {
      out.add(inodes.get(id));
    }
    return out;
  }

  boolean isEmptyDir(int dir) {
    return entries.get(dir).isEmpty();
  }

  int inodeCount() {
    return inodes.size();
  }

  Inode create(int parent, String name, boolean dir) throws FsException {
    if (inodes.size() >= MAX_INODES) {
      throw new FsException(FsErrno.NOSPC, "too many files");
    }
    Inode i = new Inode(nextId++, dir, parent, name, 0, new ArrayList<>());
    add(i);
    return i;
  }

  /** Takes {@code i} out of its directory (it stays while open: an orphan). */
  void detach(Inode i) {
    if (i.parent != Inode.ORPHAN) {
      entries.get(i.parent).remove(i.name);
    }
    i.parent = Inode.ORPHAN;
    i.name = "";
  }

  /** Forgets a detached inode. */
  void remove(Inode i) {
    detach(i);
    inodes.remove(i.id);
    entries.remove(i.id);
  }

  void attach(Inode i, int parent, String name) {
    i.parent = parent;
    i.name = name;
    entries.get(parent).put(name, i.id);
  }

  List<Inode> orphans() {
    List<Inode> out = new ArrayList<>();
    for (Inode i : inodes.values()) {
      if (i.id != ROOT && i.parent == Inode.ORPHAN) {
        out.add(i);
      }
    }
    return out;
  }

  /** Every device sector the tree's files use. */
  void forEachRun(Consumer<Inode.Extent> run) {
    for (Inode i : inodes.values()) {
      i.extents.forEach(run);
    }
  }

  /** Whether {@code dir} is {@code ancestor} or below it. */
  boolean within(int dir, int ancestor) {
    int at = dir;
    while (true) {
      if (at == ancestor) {
        return true;
      }
      Inode i = inodes.get(at);
      if (at == ROOT || i == null || i.parent == Inode.ORPHAN) {
        return false;
      }
      at = i.parent;
    }
  }

  // ---- encoding -------------------------------------------------------------------------------

  byte[] encode() {
    PayloadBuilder b = new PayloadBuilder(64 + inodes.size() * 48);
    b.i32(nextId).i32(inodes.size());
    for (Inode i : inodes.values()) {
      b.i32(i.id).u8(i.dir ? 1 : 0).i32(i.parent).utf8(i.name).i64(i.size);
      b.i32(i.extents.size());
      for (Inode.Extent e : i.extents) {
        b.i64(e.fileSector()).i64(e.diskSector()).i32(e.count());
      }
    }
    return b.toByteArray();
  }

  /**
   * @throws CorruptStreamException if the bytes are not a consistent tree within {@code sectors}
   */
  static FileTree decode(Payload p, long sectors) {
    FileTree t = new FileTree(p.i32());
    int n = p.count("inodes", MAX_INODES);
    List<Inode> all = new ArrayList<>(n);
    int extentsSeen = 0;
    for (int k = 0; k < n; k++) {
      int id = p.i32();
      boolean dir = p.u8() == 1;
      int parent = p.i32();
      String name = p.utf8(MAX_NAME_BYTES);
      long size = p.i64();
      int ne = p.count("extents", MAX_EXTENTS - extentsSeen);
      extentsSeen += ne;
      List<Inode.Extent> ext = new ArrayList<>(ne);
      for (int j = 0; j < ne; j++) {
        Inode.Extent e = new Inode.Extent(p.i64(), p.i64(), p.i32());
        if (e.count() <= 0 || e.diskSector() < 2 || e.diskEnd() > sectors || e.fileSector() < 0) {
          throw new CorruptStreamException("extent outside the device: " + e);
        }
        ext.add(e);
      }
      if (id <= 0 || id >= t.nextId || size < 0 || t.inodes.containsKey(id)) {
        throw new CorruptStreamException("inode " + id);
      }
      Inode i = new Inode(id, dir, parent, name, size, ext);
      t.inodes.put(id, i);
      if (dir) {
        t.entries.put(id, new TreeMap<>());
      }
      all.add(i);
    }
    Inode root = t.inodes.get(ROOT);
    if (root == null || !root.dir) {
      throw new CorruptStreamException("no root directory");
    }
    for (Inode i : all) {
      if (i.id == ROOT || i.parent == Inode.ORPHAN) {
        continue;
      }
      TreeMap<String, Integer> dir = t.entries.get(i.parent);
      if (dir == null || i.name.isEmpty() || dir.put(i.name, i.id) != null) {
        throw new CorruptStreamException("inode " + i.id + " has no valid place");
      }
    }
    return t;
  }
}
