package dev.coloha.proxy.event;

import static org.assertj.core.api.Assertions.assertThat;

import dev.coloha.api.proxy.ProxyEvent;
import dev.coloha.api.proxy.ProxyEventType;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.Test;

class EventLogTest {
  static ProxyEvent heartbeat(long id) {
    return new ProxyEvent.Heartbeat(id, ProxyEventType.HEARTBEAT, "g", Instant.now());
  }

  @Test
  void subscribersGetLiveEventsAndReplayTheHistoryAfterSince() throws Exception {
    EventLog log = new EventLog("g", 3, 2, 10);
    for (int i = 0; i < 5; i++) {
      log.append(EventLogTest::heartbeat);
    }
    assertThat(log.history()).extracting(ProxyEvent::id).containsExactly(3L, 4L, 5L);
    try (EventLog.Subscription s = log.subscribe(3)) {
      assertThat(s.poll(10)).extracting(ProxyEvent::id).containsExactly(4L, 5L);
      assertThat(s.poll(10)).isEmpty();
      log.append(EventLogTest::heartbeat);
      assertThat(s.poll(1000)).extracting(ProxyEvent::id).containsExactly(6L);
    }
  }

  @Test
  void aSubscriberTooFarBehindIsDisconnected() throws Exception {
    EventLog log = new EventLog("g", 100, 2, 3);
    try (EventLog.Subscription s = log.subscribe(-1)) {
      for (int i = 0; i < 4; i++) {
        log.append(EventLogTest::heartbeat);
      }
      List<ProxyEvent> batch = s.poll(10);
      assertThat(batch).isNull();
      assertThat(s.endReason()).contains("too slow");
    }
    assertThat(log.droppedSubscribers()).isEqualTo(1);
  }

  @Test
  void samplesAreEscapedForPeople() {
    assertThat(Samples.escaped(new byte[] {'+', 'O', 'K', '\r', '\n', 0, (byte) 0xff}))
        .isEqualTo("+OK\\r\\n\\x00\\xff");
    assertThat(Samples.hex(new byte[] {1, (byte) 0xab})).isEqualTo("01ab");
  }
}
