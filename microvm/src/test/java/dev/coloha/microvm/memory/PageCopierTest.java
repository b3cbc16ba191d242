package dev.coloha.microvm.memory;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicIntegerArray;
import org.junit.jupiter.api.Test;

class PageCopierTest {

  @Test
  void everyIndexIsVisitedExactlyOnceAcrossTheSlices() {
    PageCopier copier = new PageCopier(3);
    int count = PageCopier.MIN_PAGES_PER_SLICE * 4 + 17;
    AtomicIntegerArray seen = new AtomicIntegerArray(count);
    Set<Thread> threads = ConcurrentHashMap.newKeySet();
    copier.forEachSlice(
        count,
        (from, to) -> {
          threads.add(Thread.currentThread());
          for (int i = from; i < to; i++) {
            seen.incrementAndGet(i);
          }
        });
    for (int i = 0; i < count; i++) {
      assertThat(seen.get(i)).as("index %d", i).isEqualTo(1);
    }
    assertThat(threads).contains(Thread.currentThread()).hasSizeGreaterThan(1);
  }

  @Test
  void aSmallBatchStaysOnTheCaller() {
    PageCopier copier = new PageCopier(3);
    Set<Thread> threads = ConcurrentHashMap.newKeySet();
    copier.forEachSlice(
        PageCopier.MIN_PAGES_PER_SLICE, (from, to) -> threads.add(Thread.currentThread()));
    assertThat(threads).containsExactly(Thread.currentThread());
    new PageCopier(0).forEachSlice(100_000, (from, to) -> threads.add(Thread.currentThread()));
    assertThat(threads).containsExactly(Thread.currentThread());
  }

  @Test
  void aFailureInAnySliceReachesTheCallerAfterEverySliceEnded() {
    PageCopier copier = new PageCopier(2);
    int count = PageCopier.MIN_PAGES_PER_SLICE * 3;
    AtomicIntegerArray done = new AtomicIntegerArray(3);
    assertThatThrownBy(
            () ->
                copier.forEachSlice(
                    count,
                    (from, to) -> {
                      int slice = from / PageCopier.MIN_PAGES_PER_SLICE;
                      done.set(slice, 1);
                      if (slice == 2) {
                        throw new IllegalStateException("slice 2 failed");
                      }
                    }))
        .isInstanceOf(IllegalStateException.class)
        .hasMessage("slice 2 failed");
    assertThat(done.get(0) + done.get(1) + done.get(2)).isEqualTo(3);
  }
}
