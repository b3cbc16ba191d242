package dev.coloha.microvm.memory;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.dylibso.chicory.runtime.WasmRuntimeException;
import com.dylibso.chicory.wasm.types.MemoryLimits;
import java.util.BitSet;
import java.util.Random;
import org.junit.jupiter.api.Test;

class TrackedMemoryTest {
  private final TrackedMemory memory = new TrackedMemory(new MemoryLimits(2, 4), true);

  @Test
  void startsClean() {
    assertThat(memory.dirtyCount()).isZero();
    assertThat(memory.trackPages()).isEqualTo(32);
  }

  @Test
  void everyScalarStoreMarksItsPage() {
    memory.writeByte(0, (byte) 1);
    memory.writeShort(4096 + 10, (short) 1);
    memory.writeI32(2 * 4096, 1);
    memory.writeLong(3 * 4096, 1L);
    memory.writeF32(4 * 4096, 1f);
    memory.writeF64(5 * 4096, 1d);
    assertThat(memory.dirtyPages()).containsExactly(0, 1, 2, 3, 4, 5);
  }

  @Test
  void aStoreAcrossAPageBoundaryMarksBothPages() {
    memory.writeLong(4096 - 4, -1L);
    assertThat(memory.dirtyPages()).containsExactly(0, 1);
    memory.clearDirty();
    memory.writeI32(2 * 4096 - 1, -1);
    assertThat(memory.dirtyPages()).containsExactly(1, 2);
    memory.clearDirty();
    memory.writeShort(3 * 4096 - 1, (short) -1);
    assertThat(memory.dirtyPages()).containsExactly(2, 3);
  }

  @Test
  void aStoreThatEndsOnTheBoundaryMarksOnePage() {
    memory.writeLong(4096 - 8, -1L);
    assertThat(memory.dirtyPages()).containsExactly(0);
  }

  @Test
  void bulkOperationsMarkEveryPageTheyTouch() {
    memory.write(4000, new byte[5000], 0, 5000); // 4000..8999: pages 0,1,2
    assertThat(memory.dirtyPages()).containsExactly(0, 1, 2);
    memory.clearDirty();
    memory.fill((byte) 7, 5 * 4096, 5 * 4096 + 1);
    assertThat(memory.dirtyPages()).containsExactly(5);
    memory.clearDirty();
    memory.copy(10 * 4096 + 100, 0, 4096);
    assertThat(memory.dirtyPages()).containsExactly(10, 11);
    assertThat(memory.read(10 * 4096 + 100 + 4000)).isEqualTo((byte) 0);
  }

  @Test
  void aPageWrittenAgainAfterAClearIsDirtyAgain() {
    memory.writeI32(16, 1);
    memory.writeI32(20, 2);
    memory.clearDirty();
    memory.writeI32(24, 3);
    assertThat(memory.dirtyPages()).containsExactly(0);
    memory.resize(3);
    memory.writeByte(28, (byte) 4);
    assertThat(memory.dirtyPages()).containsExactly(0);
    memory.clearDirty();
    memory.writeByte(28, (byte) 5);
    assertThat(memory.dirtyPages()).containsExactly(0);
  }

  @Test
  void readsDoNotMarkAnything() {
    memory.readInt(100);
    memory.readLong(5000);
    memory.readBytes(0, 9000);
    assertThat(memory.dirtyCount()).isZero();
  }

  @Test
  void outOfBoundsAccessIsATrapAndMarksNothing() {
    int end = 2 * 65536;
    assertThatThrownBy(() -> memory.writeI32(end - 2, 1)).isInstanceOf(WasmRuntimeException.class);
    assertThatThrownBy(() -> memory.writeByte(-1, (byte) 1))
        .isInstanceOf(WasmRuntimeException.class);
    assertThatThrownBy(() -> memory.readLong(end - 4)).isInstanceOf(WasmRuntimeException.class);
    assertThatThrownBy(() -> memory.write(end - 10, new byte[20], 0, 20))
        .isInstanceOf(WasmRuntimeException.class);
    assertThat(memory.dirtyCount()).isZero();
  }

  @Test
  void growRespectsTheMaximumAndKeepsContentsAndDirtyBits() {
    memory.writeI32(100, 42);
    assertThat(memory.grow(1)).isEqualTo(2);
    assertThat(memory.pages()).isEqualTo(3);
    assertThat(memory.readInt(100)).isEqualTo(42);
    assertThat(memory.dirtyPages()).containsExactly(0);
    memory.writeI32(2 * 65536 + 5, 1);
    assertThat(memory.dirtyPages()).containsExactly(0, 32);
    assertThat(memory.grow(2)).isEqualTo(-1);
    assertThat(memory.grow(1)).isEqualTo(3);
    assertThat(memory.pages()).isEqualTo(4);
  }

  @Test
  void resizeShrinksAndForgetsDirtyBitsBeyondTheEnd() {
    memory.grow(2);
    memory.writeI32(3 * 65536 + 8, 1);
    memory.writeI32(8, 1);
    memory.resize(2);
    assertThat(memory.pages()).isEqualTo(2);
    assertThat(memory.dirtyPages()).containsExactly(0);
    assertThatThrownBy(() -> memory.resize(5)).isInstanceOf(IllegalArgumentException.class);
  }

  @Test
  void pagesThatGrowBackAfterAShrinkAreDirty() {
    // an inetd program's fresh instance shrinks memory back; a replica that did not shrink holds
    // the old bytes there, so the pages that grow back must be sent, zero as they are here
    int p0 = memory.pages();
    memory.grow(1);
    memory.writeI32(p0 * 65536 + 8, 1);
    memory.resize(p0);
    memory.clearDirty();
    assertThat(memory.grow(1)).isEqualTo(p0);
    assertThat(memory.dirtyPages()).hasSize(16).startsWith(p0 * 16).endsWith(p0 * 16 + 15);
    assertThat(memory.readInt(p0 * 65536 + 8)).isZero();
  }

  @Test
  void aStoreAcrossABlockBoundaryMarksPagesInBothBlocks() {
    TrackedMemory big = new TrackedMemory(new MemoryLimits(9, 9), true); // 144 pages, 3 blocks
    int boundary = TrackedMemory.BLOCK_PAGES * 4096;
    big.writeLong(boundary - 4, -1L);
    assertThat(big.dirtyPages())
        .containsExactly(TrackedMemory.BLOCK_PAGES - 1, TrackedMemory.BLOCK_PAGES);
    big.clearDirty();
    assertThat(big.dirtyCount()).isZero();
    big.writeByte(143 * 4096, (byte) 1); // the last page, in the partial third block
    big.markDirty(2);
    assertThat(big.dirtyPages()).containsExactly(2, 143);
  }

  @Test
  void theDirtyPagesAlwaysMatchAPlainModel() {
    // the block map must never lose a page: random stores, bulk writes, re-marks, clears, growth
    // and shrinking, checked against a bit per page after every step
    Random random = new Random(42);
    TrackedMemory m = new TrackedMemory(new MemoryLimits(3, 40), true);
    BitSet model = new BitSet();
    int shrunkFrom = 0;
    for (int step = 0; step < 20_000; step++) {
      int size = m.pages() * 65536;
      int op = random.nextInt(100);
      if (op < 70) {
        int at = random.nextInt(size - 8);
        m.writeLong(at, step);
        model.set(at >>> 12, ((at + 7) >>> 12) + 1);
      } else if (op < 85) {
        int len = 1 + random.nextInt(20_000);
        int at = random.nextInt(size - len);
        m.write(at, new byte[len], 0, len);
        model.set(at >>> 12, ((at + len - 1) >>> 12) + 1);
      } else if (op < 90) {
        int page = random.nextInt(m.trackPages());
        m.markDirty(page);
        model.set(page);
      } else if (op < 95) {
        m.clearDirty();
        model.clear();
      } else if (op < 98) {
        if (m.pages() < 40) {
          int before = m.pages();
          m.grow(1);
          if (before < shrunkFrom) {
            model.set(before * 16, (before + 1) * 16); // grown back after a shrink
          }
        }
      } else {
        int pages = 1 + random.nextInt(40);
        if (pages < m.pages()) {
          shrunkFrom = Math.max(shrunkFrom, m.pages());
        }
        m.resize(pages);
        model.clear(pages * 16, Integer.MAX_VALUE);
      }
      assertThat(m.dirtyPages()).as("step %d", step).isEqualTo(model.stream().toArray());
    }
  }

  @Test
  void pageCopiesRoundTripWithoutMarking() {
    byte[] page = new byte[4096];
    for (int i = 0; i < page.length; i++) {
      page[i] = (byte) i;
    }
    memory.restorePage(7, page, 0);
    assertThat(memory.dirtyCount()).isZero();
    byte[] back = new byte[4096];
    memory.readPage(7, back, 0);
    assertThat(back).isEqualTo(page);
  }

  @Test
  void trackingCanBeSwitchedOffForBenchmarks() {
    TrackedMemory untracked = new TrackedMemory(new MemoryLimits(1, 1), false);
    untracked.writeLong(0, 1);
    untracked.write(0, new byte[10], 0, 10);
    assertThat(untracked.dirtyCount()).isZero();
  }
}
