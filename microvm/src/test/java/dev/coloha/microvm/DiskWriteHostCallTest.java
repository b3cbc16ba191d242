package dev.coloha.microvm;

import static org.assertj.core.api.Assertions.assertThat;

import dev.coloha.microvm.device.BlockDevice;
import dev.coloha.microvm.testing.GuestConnection;
import dev.coloha.microvm.testing.RecordingSink;
import dev.coloha.microvm.testing.TestGuests;
import java.io.ByteArrayOutputStream;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The {@code disk_write} host call hands the device the guest's bytes straight from the VM's memory
 * (issue 18: no copy into a new array first), at the guest's pointer; a device that keeps them
 * copies them during the call, as a write-behind queue does, and the guest reusing its buffer after
 * the call changes nothing of what the device kept.
 */
class DiskWriteHostCallTest {
  private static final long SIZE = 8L << 20;

  /**
   * Keeps every write as a copy made during the call (write-behind) and applies them to its image
   * at a flush only; remembers the arrays it was handed.
   */
  private static final class HeldWritesDisk implements BlockDevice {
    final byte[] image = new byte[(int) SIZE];
    final List<Object[]> held = new ArrayList<>(); // {offset, bytes}
    final List<byte[]> handed = new ArrayList<>();
    int writes;

    @Override
    public long sizeBytes() {
      return SIZE;
    }

    @Override
    public synchronized void read(long offset, byte[] dst, int dstOffset, int length) {
      applyHeld();
      System.arraycopy(image, (int) offset, dst, dstOffset, length);
    }

    @Override
    public synchronized void write(long offset, byte[] src, int srcOffset, int length) {
      writes++;
      handed.add(src);
      held.add(new Object[] {offset, Arrays.copyOfRange(src, srcOffset, srcOffset + length)});
    }

    @Override
    public synchronized void flush() {
      applyHeld();
    }

    private void applyHeld() {
      for (Object[] w : held) {
        byte[] b = (byte[]) w[1];
        System.arraycopy(b, 0, image, (int) (long) (Long) w[0], b.length);
      }
      held.clear();
    }

    @Override
    public void close() {}
  }

  /** A disk holding a copy of {@code image}. */
  private static final class ImageDisk implements BlockDevice {
    final byte[] image;

    ImageDisk(byte[] image) {
      this.image = image.clone();
    }

    @Override
    public long sizeBytes() {
      return image.length;
    }

    @Override
    public synchronized void read(long offset, byte[] dst, int dstOffset, int length) {
      System.arraycopy(image, (int) offset, dst, dstOffset, length);
    }

    @Override
    public synchronized void write(long offset, byte[] src, int srcOffset, int length) {
      System.arraycopy(src, srcOffset, image, (int) offset, length);
    }

    @Override
    public void flush() {}

    @Override
    public void close() {}
  }

  @Test
  void theDeviceGetsTheGuestsBytesFromItsMemoryAndItsCopiesSurviveTheGuestReusingItsBuffer()
      throws Exception {
    HeldWritesDisk disk = new HeldWritesDisk();
    RecordingSink out = new RecordingSink();
    MicroVm vm =
        MicroVm.create(
            "kv-held", TestGuests.get("kv"), VmConfig.defaults(), VmEnvironment.of(disk, out));
    vm.start();
    int bootWrites;
    try {
      GuestConnection c = GuestConnection.open(vm, out);
      synchronized (disk) {
        bootWrites = disk.writes;
      }
      // one event per SET: the guest rewrites the log's tail sector from the same stage buffer
      // every time, while the earlier writes are still held (no flush before the last one)
      for (int i = 0; i < 40; i++) {
        int n = i + 1;
        c.command("SET", "key:" + i, "value-" + i + "-" + "x".repeat(i * 7));
        c.awaitText(t -> count(t, "+OK") == n);
      }
      synchronized (disk) {
        assertThat(disk.writes - bootWrites).as("a log write per event").isGreaterThanOrEqualTo(40);
        for (int i = bootWrites; i < disk.handed.size(); i++) {
          assertThat(disk.handed.get(i))
              .as("write %d is handed the VM's memory, not a copy of it", i)
              .isSameAs(vm.memory().buffer());
        }
        disk.flush();
      }
    } finally {
      vm.stop();
    }

    // the copies made during the calls are the log: a VM booted from them has every SET
    RecordingSink again = new RecordingSink();
    MicroVm vm2 =
        MicroVm.create(
            "kv-held-2",
            TestGuests.get("kv"),
            VmConfig.defaults(),
            VmEnvironment.of(new ImageDisk(disk.image), again));
    vm2.start();
    try {
      GuestConnection c = GuestConnection.open(vm2, again);
      ByteArrayOutputStream expected = new ByteArrayOutputStream();
      for (int i = 0; i < 40; i++) {
        c.command("GET", "key:" + i);
        String v = "value-" + i + "-" + "x".repeat(i * 7);
        expected.writeBytes(("$" + v.length() + "\r\n" + v + "\r\n").getBytes());
      }
      String want = expected.toString();
      c.awaitText(t -> t.length() >= want.length());
      assertThat(again.text(1)).isEqualTo(want);
    } finally {
      vm2.stop();
    }
  }

  private static int count(String text, String what) {
    int n = 0;
    for (int i = text.indexOf(what); i >= 0; i = text.indexOf(what, i + 1)) {
      n++;
    }
    return n;
  }
}
