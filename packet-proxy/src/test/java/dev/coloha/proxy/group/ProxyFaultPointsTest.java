package dev.coloha.proxy.group;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import dev.coloha.api.proxy.GroupLimits;
import dev.coloha.api.proxy.ProxyEvent;
import dev.coloha.api.proxy.ProxyEventType;
import dev.coloha.proxy.compare.OutputComparator;
import dev.coloha.proxy.testing.GroupRig;
import dev.coloha.wire.io.IoFrame;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The proxy's named fault points ({@code colo.proxy.testing.faults}), each armed against a
 * protected group of the real proxy (a fake agent on loopback, one client, no Spring, no
 * self-checkpoints), with the fault matrix's promise asserted: output is released only when
 * compared or committed, and a lost secondary's held output is released once the coordinator drops
 * it.
 */
class ProxyFaultPointsTest {
  private static final long EPOCH = 7;

  private final GroupRig rig = new GroupRig();
  private Groups groups;
  private Socket client;

  ProxyFaultPointsTest() throws Exception {}

  @AfterEach
  void stop() throws Exception {
    rig.close();
  }

  private GroupSpec spec(long epoch, ReplicaRef secondary) {
    return new GroupSpec(
        "kv",
        epoch,
        "127.0.0.1",
        0,
        GroupSpec.Mode.COLO,
        rig.replica("p"),
        secondary,
        Duration.ofMinutes(10),
        new GroupLimits(1 << 20, 1 << 24, 1 << 20, 1 << 24, 100),
        new Commit(EPOCH, 4, Map.of(), Map.of(), Set.of()),
        null);
  }

  /** A protected group synced at checkpoint 4 with {@code faults} armed, a client connected. */
  private Group protectedGroup(String faults) throws Exception {
    groups =
        rig.groups(
            Map.of(
                "colo.proxy.testing.faults", faults,
                "colo.proxy.self-checkpoint.enabled", "false",
                "colo.proxy.client.linger", "1h"));
    groups.put(spec(EPOCH, rig.replica("s")));
    Group g = groups.group("kv");
    client = rig.client(g.port());
    await()
        .atMost(Duration.ofSeconds(30))
        .until(
            () ->
                rig.agent.opened("p").contains(1)
                    && rig.agent.opened("s").contains(1)
                    && g.view().state().equals("PROTECTED"));
    return g;
  }

  private static byte[] bytes(String s) {
    return s.getBytes(StandardCharsets.US_ASCII);
  }

  @Test
  void aCommitThatFailsAtItsFaultPointReleasesNothingAndIsAppliedWhenRetried() throws Exception {
    Group g = protectedGroup("commit@kv");
    rig.agent.output("p", new IoFrame.Output(EPOCH, 5, 1, 0, bytes("P")));
    rig.agent.output("s", new IoFrame.Output(EPOCH, 5, 1, 0, bytes("S")));
    await().atMost(Duration.ofSeconds(30)).until(() -> g.view().counters().mismatches() == 1);
    Commit k = new Commit(EPOCH, 5, Map.of(1, 1L), Map.of(1, 0L), Set.of());

    assertThatThrownBy(() -> g.commit(k)).isInstanceOf(ProxyFaults.InjectedFault.class);

    OutputComparator.Stats st = g.comparator().stats();
    assertThat(st.committed()).as("not committed").isEqualTo(4);
    assertThat(st.heldPrimary()).as("the primary's byte is still held").isEqualTo(1);
    assertThat(st.releasedCommitted() + st.releasedMatched()).isZero();

    assertThat(g.commit(k).applied()).as("the coordinator's retry").isTrue();
    assertThat(GroupRig.read(client, 1)).isEqualTo("P");
    assertThat(g.comparator().stats().committed()).isEqualTo(5);
  }

  @Test
  void aSecondaryStreamBrokenAtItsFaultPointHoldsThePrimarysOutputUntilTheSecondaryIsDropped()
      throws Exception {
    Group g = protectedGroup("stream-break@s");
    rig.agent.output("p", new IoFrame.Output(EPOCH, 5, 1, 0, bytes("same")));
    rig.agent.output(
        "s", new IoFrame.Output(EPOCH, 5, 1, 0, bytes("same"))); // lost with the stream

    await().atMost(Duration.ofSeconds(30)).until(() -> g.view().state().equals("DEGRADED"));
    List<ProxyEvent> broken =
        g.events().history().stream()
            .filter(e -> e.type() == ProxyEventType.STREAM_BROKEN)
            .toList();
    assertThat(broken).hasSize(1);
    ProxyEvent.StreamBroken b = (ProxyEvent.StreamBroken) broken.getFirst();
    assertThat(b.replica()).isEqualTo("SECONDARY");
    assertThat(b.vm()).isEqualTo("s");
    assertThat(b.stream()).isEqualTo("output");
    assertThat(b.reason()).contains("fault injected at stream-break");
    await().atMost(Duration.ofSeconds(30)).until(() -> g.comparator().stats().heldPrimary() == 4);
    OutputComparator.Stats st = g.comparator().stats();
    assertThat(st.releasedMatched() + st.releasedCommitted() + st.releasedSingle())
        .as("nothing released unchecked")
        .isZero();

    // the coordinator drops the secondary (a new epoch with the primary alone): released at once
    groups.put(spec(EPOCH + 1, null));
    assertThat(GroupRig.read(client, 4)).isEqualTo("same");
    assertThat(g.view().state()).isEqualTo("UNPROTECTED");
  }
}
