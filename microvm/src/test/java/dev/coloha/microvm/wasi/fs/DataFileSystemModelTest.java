package dev.coloha.microvm.wasi.fs;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import java.util.TreeSet;
import org.junit.jupiter.api.Test;

/**
 * Model-based property test of the data file system's layout: seeded random runs of create, write,
 * read, truncate, rename, unlink, mkdir and sync against an in-memory model (paths to bytes), with
 * crashes. A crash that drops every unflushed write, then a remount, gives exactly the model as of
 * the last sync; a crash in the middle of a sync gives the model before it or after it; a torn
 * crash (each unflushed sector kept or not) gives the names, kinds and sizes of the last sync,
 * every file readable. A checkpoint's state restored on a copy of the device behaves as the
 * original.
 */
class DataFileSystemModelTest {
  private static final int SEEDS = 40;
  private static final int STEPS = 400;
  private static final int ROOT = FileTree.ROOT;
  private static final List<String> DIRS = List.of("d1", "d2", "d1/e");
  private static final List<String> NAMES =
      List.of("a", "b", "log", "d1/a", "d1/c", "d2/b", "d1/e/f");

  private record Model(TreeMap<String, byte[]> files, TreeSet<String> dirs) {
    Model copy() {
      TreeMap<String, byte[]> f = new TreeMap<>();
      files.forEach((k, v) -> f.put(k, v.clone()));
      return new Model(f, new TreeSet<>(dirs));
    }

    boolean parentExists(String path) {
      int slash = path.lastIndexOf('/');
      return slash < 0 || dirs.contains(path.substring(0, slash));
    }
  }

  @Test
  void aCrashThatDropsUnflushedWritesRemountsTheLastSync() throws Exception {
    for (long seed = 1; seed <= SEEDS; seed++) {
      run(seed, Crash.DROP_ALL);
    }
  }

  @Test
  void aCrashInTheMiddleOfASyncRemountsTheSyncBeforeOrAfter() throws Exception {
    for (long seed = 1; seed <= SEEDS; seed++) {
      run(seed, Crash.MID_SYNC);
    }
  }

  @Test
  void aTornCrashKeepsTheNamesAndSizesOfTheLastSync() throws Exception {
    for (long seed = 1; seed <= SEEDS; seed++) {
      run(seed, Crash.TORN);
    }
  }

  @Test
  void aCheckpointedFileSystemRestoredOnACopyOfTheDiskIsTheSame() throws Exception {
    Random r = new Random(7);
    CrashableDevice dev = new CrashableDevice(4096);
    DataFileSystem fs = DataFileSystem.mount(dev);
    Model model = new Model(new TreeMap<>(), new TreeSet<>());
    for (int i = 0; i < 200; i++) {
      step(fs, model, r);
    }
    byte[] state = fs.state();
    DataFileSystem copy = DataFileSystem.restore(dev, state);
    assertThat(contents(copy)).isEqualTo(render(model));
    assertThat(copy.state()).isEqualTo(state);
    // a never-checkpointed mount of the same disk sees only the last sync
    fs.write(fs.open(ROOT, "fresh", true, false, false, false).inode(), 0, new byte[10], 0, 10);
    assertThat(DataFileSystem.mount(dev).statPath(ROOT, ".").dir()).isTrue();
  }

  @Test
  void aDiskWithoutAFileSystemIsNotFormattedOver() {
    CrashableDevice dev = new CrashableDevice(64);
    byte[] junk = new byte[512];
    Arrays.fill(junk, (byte) 7);
    assertThatThrownBy(
            () -> {
              dev.write(0, junk, 0, 512);
              DataFileSystem.mount(dev);
            })
        .isInstanceOf(FsException.class)
        .hasMessageContaining("no valid COLO file system");
  }

  private enum Crash {
    DROP_ALL,
    MID_SYNC,
    TORN
  }

  private void run(long seed, Crash crash) throws Exception {
    Random r = new Random(seed);
    CrashableDevice dev = new CrashableDevice(1024 + r.nextInt(2048));
    DataFileSystem fs = DataFileSystem.mount(dev);
    Model model = new Model(new TreeMap<>(), new TreeSet<>());
    Model synced = model.copy();
    for (int i = 0; i < STEPS; i++) {
      int what = r.nextInt(40);
      if (what == 0) {
        fs.sync();
        synced = model.copy();
      } else if (what == 1) {
        String at = "seed " + seed + " step " + i;
        switch (crash) {
          case DROP_ALL -> {
            dev.crashDroppingAll();
            fs = DataFileSystem.mount(dev);
            assertThat(contents(fs)).as(at).isEqualTo(render(synced));
            model = synced.copy();
          }
          case MID_SYNC -> {
            Model before = synced;
            Model after = model.copy();
            dev.failAfterWrites(r.nextInt(4));
            try {
              fs.sync();
            } catch (FsException e) {
              assertThat(e.errno()).isEqualTo(FsErrno.IO);
            }
            dev.crashDroppingAll();
            fs = DataFileSystem.mount(dev);
            // the new tree whole, or the old tree (its files' data written in place since may show)
            Map<String, String> seen = contents(fs);
            if (!seen.equals(render(after))) {
              assertThat(shape(fs)).as(at).isEqualTo(shape(before));
            }
            model = read(fs);
            synced = model.copy();
          }
          case TORN -> {
            dev.crashTorn(r);
            fs = DataFileSystem.mount(dev);
            assertThat(shape(fs)).as(at).isEqualTo(shape(synced));
            model = read(fs);
            synced = model.copy();
          }
        }
      } else {
        step(fs, model, r);
      }
    }
  }

  /** One random operation on both; failures must match the model's. */
  private static void step(DataFileSystem fs, Model m, Random r) throws Exception {
    String path = NAMES.get(r.nextInt(NAMES.size()));
    switch (r.nextInt(8)) {
      case 0, 1, 2 -> { // open (create) and write at a random place
        if (!m.parentExists(path) || m.dirs.contains(path)) {
          assertThatThrownBy(() -> fs.open(ROOT, path, true, false, false, false))
              .isInstanceOf(FsException.class);
          return;
        }
        int inode = fs.open(ROOT, path, true, false, false, false).inode();
        byte[] old = m.files.getOrDefault(path, new byte[0]);
        int pos = r.nextInt(Math.max(1, old.length + 3000));
        byte[] data = new byte[1 + r.nextInt(r.nextBoolean() ? 600 : 9000)];
        r.nextBytes(data);
        fs.write(inode, pos, data, 0, data.length);
        byte[] next = Arrays.copyOf(old, Math.max(old.length, pos + data.length));
        System.arraycopy(data, 0, next, pos, data.length);
        m.files.put(path, next);
      }
      case 3 -> { // read a random range
        byte[] want = m.files.get(path);
        if (want == null) {
          return;
        }
        int inode = fs.open(ROOT, path, false, false, false, false).inode();
        int pos = r.nextInt(want.length + 10);
        byte[] got = new byte[r.nextInt(5000)];
        int n = fs.read(inode, pos, got, 0, got.length);
        int expect = Math.max(0, Math.min(got.length, want.length - pos));
        assertThat(n).isEqualTo(expect);
        assertThat(Arrays.copyOf(got, n))
            .isEqualTo(
                Arrays.copyOfRange(
                    want, Math.min(pos, want.length), Math.min(pos, want.length) + n));
      }
      case 4 -> { // truncate
        byte[] old = m.files.get(path);
        if (old == null) {
          return;
        }
        int size = r.nextInt(old.length + 1000);
        fs.truncate(fs.open(ROOT, path, false, false, false, false).inode(), size);
        m.files.put(path, Arrays.copyOf(old, size));
      }
      case 5 -> { // rename a file
        String to = NAMES.get(r.nextInt(NAMES.size()));
        if (!m.files.containsKey(path) || !m.parentExists(to) || m.dirs.contains(to)) {
          assertThatThrownBy(() -> fs.rename(ROOT, path, ROOT, to, i -> false))
              .isInstanceOf(FsException.class);
          return;
        }
        fs.rename(ROOT, path, ROOT, to, i -> false);
        byte[] b = m.files.remove(path);
        m.files.put(to, b);
      }
      case 6 -> { // unlink
        if (!m.files.containsKey(path)) {
          assertThatThrownBy(() -> fs.unlink(ROOT, path, i -> false))
              .isInstanceOf(FsException.class);
          return;
        }
        fs.unlink(ROOT, path, i -> false);
        m.files.remove(path);
      }
      case 7 -> { // mkdir
        String dir = DIRS.get(r.nextInt(DIRS.size()));
        if (m.dirs.contains(dir) || m.files.containsKey(dir) || !m.parentExists(dir)) {
          assertThatThrownBy(() -> fs.mkdir(ROOT, dir)).isInstanceOf(FsException.class);
          return;
        }
        fs.mkdir(ROOT, dir);
        m.dirs.add(dir);
      }
      default -> throw new AssertionError();
    }
  }

  /** path → hex of the bytes (files), path → "dir" (directories), as the model renders. */
  private static Map<String, String> render(Model m) {
    TreeMap<String, String> out = new TreeMap<>();
    m.dirs.forEach(d -> out.put(d, "dir"));
    m.files.forEach((k, v) -> out.put(k, java.util.HexFormat.of().formatHex(v)));
    return out;
  }

  private static Map<String, String> contents(DataFileSystem fs) throws Exception {
    return render(read(fs));
  }

  private static Map<String, String> shape(Model m) {
    TreeMap<String, String> out = new TreeMap<>();
    m.dirs.forEach(d -> out.put(d, "dir"));
    m.files.forEach((k, v) -> out.put(k, "file " + v.length));
    return out;
  }

  private static Map<String, String> shape(DataFileSystem fs) throws Exception {
    return shape(read(fs));
  }

  private static Model read(DataFileSystem fs) throws Exception {
    Model m = new Model(new TreeMap<>(), new TreeSet<>());
    walk(fs, ROOT, "", m);
    return m;
  }

  private static void walk(DataFileSystem fs, int dir, String prefix, Model m) throws Exception {
    for (DataFileSystem.Entry e : fs.list(dir)) {
      String path = prefix + e.name();
      if (e.dir()) {
        m.dirs.add(path);
        walk(fs, e.inode(), path + "/", m);
      } else {
        byte[] b = new byte[(int) fs.stat(e.inode()).size()];
        assertThat(fs.read(e.inode(), 0, b, 0, b.length)).isEqualTo(b.length);
        m.files.put(path, b);
      }
    }
  }
}
