package dev.coloha.microvm.wasi;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.dylibso.chicory.wasm.types.MemoryLimits;
import dev.coloha.microvm.memory.TrackedMemory;
import java.util.Arrays;
import org.junit.jupiter.api.Test;

/**
 * The host lends itself the top of memory for Asyncify only while it unwinds or rewinds; the
 * guest's bytes there (its heap, for wasi-libc's malloc owns everything up to the end of memory)
 * are the same before and after, and the unwound stack lives host-side in between.
 */
class AsyncifyStackTest {
  private static final int PAGE = TrackedMemory.PAGE_SIZE;

  /** What Asyncify does while unwinding: pushes bytes at the data pointer. */
  private static void push(TrackedMemory m, int data, byte[] bytes) {
    int at = m.readInt(data);
    m.write(at, bytes, 0, bytes.length);
    m.writeI32(data, at + bytes.length);
  }

  /** What Asyncify does while rewinding: pops bytes below the data pointer. */
  private static byte[] pop(TrackedMemory m, int data, int n) {
    int at = m.readInt(data) - n;
    m.writeI32(data, at);
    return m.readBytes(at, n);
  }

  private static byte[] heap(TrackedMemory m) {
    byte[] b = new byte[m.pages() * PAGE];
    for (int i = 0; i < b.length; i++) {
      b[i] = (byte) (i * 31 + 7);
    }
    m.write(0, b, 0, b.length);
    return b;
  }

  @Test
  void theGuestsBytesAtTheTopOfMemorySurviveAnUnwindAndARewind() {
    TrackedMemory m = new TrackedMemory(new MemoryLimits(3, 8), true);
    byte[] guest = heap(m);
    AsyncifyStack stack = new AsyncifyStack(PAGE);

    int data = stack.lendForUnwind(m);
    assertThat(data).as("the top page").isEqualTo(2 * PAGE);
    assertThat(m.readInt(data + 4)).as("its end: the end of memory").isEqualTo(3 * PAGE);
    push(m, data, new byte[] {1, 2, 3});
    push(m, data, new byte[] {4, 5});
    stack.unwound(m);
    assertThat(stack.lent()).isFalse();
    assertThat(stack.data()).containsExactly(1, 2, 3, 4, 5);
    assertThat(m.buffer()).as("the guest's bytes are back").isEqualTo(guest);

    int again = stack.lendForRewind(m);
    assertThat(pop(m, again, 2)).containsExactly(4, 5);
    assertThat(pop(m, again, 3)).containsExactly(1, 2, 3);
    assertThat(m.readInt(again)).as("rewound to the start").isEqualTo(again + 8);
    stack.rewound(m);
    assertThat(stack.data()).isEmpty();
    assertThat(m.buffer()).isEqualTo(guest);
  }

  @Test
  void aCheckpointsStackRewindsOnAnotherMemoryOfAnotherSize() {
    TrackedMemory a = new TrackedMemory(new MemoryLimits(2, 8), true);
    heap(a);
    AsyncifyStack onA = new AsyncifyStack(PAGE);
    int data = onA.lendForUnwind(a);
    push(a, data, new byte[] {9, 8, 7, 6});
    onA.unwound(a);

    TrackedMemory b = new TrackedMemory(new MemoryLimits(5, 8), true);
    byte[] guestOfB = heap(b);
    AsyncifyStack onB = new AsyncifyStack(PAGE);
    onB.replaceWith(onA.data());
    int there = onB.lendForRewind(b);
    assertThat(there).isEqualTo(4 * PAGE);
    assertThat(pop(b, there, 4)).containsExactly(9, 8, 7, 6);
    onB.rewound(b);
    assertThat(b.buffer()).isEqualTo(guestOfB);
  }

  @Test
  void aMemorySmallerThanTheDataIsLentWhole() {
    TrackedMemory m = new TrackedMemory(new MemoryLimits(1, 1), true);
    byte[] guest = heap(m);
    AsyncifyStack stack = new AsyncifyStack(4 * PAGE);
    int data = stack.lendForUnwind(m);
    assertThat(data).isZero();
    assertThat(m.readInt(4)).isEqualTo(PAGE);
    push(m, data, new byte[100]);
    stack.unwound(m);
    assertThat(stack.data()).hasSize(100);
    assertThat(m.buffer()).isEqualTo(guest);

    TrackedMemory none = new TrackedMemory(new MemoryLimits(0, 1), true);
    assertThatThrownBy(() -> new AsyncifyStack(PAGE).lendForUnwind(none))
        .isInstanceOf(IllegalStateException.class)
        .hasMessageContaining("no room");
  }

  @Test
  void anUnwindThatTrapsGivesTheGuestItsBytesBack() {
    TrackedMemory m = new TrackedMemory(new MemoryLimits(2, 2), true);
    byte[] guest = heap(m);
    AsyncifyStack stack = new AsyncifyStack(PAGE);
    int data = stack.lendForUnwind(m);
    Arrays.fill(m.buffer(), data, 2 * PAGE, (byte) 0x55);
    stack.abandon(m);
    assertThat(stack.lent()).isFalse();
    assertThat(m.buffer()).isEqualTo(guest);
    assertThatThrownBy(() -> stack.unwound(m)).isInstanceOf(IllegalStateException.class);
  }
}
