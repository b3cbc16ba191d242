package dev.coloha.agent.web;

import dev.coloha.agent.replication.CheckpointResult;
import dev.coloha.agent.replication.ReplicationStatus;
import dev.coloha.agent.replication.SyncPoint;
import dev.coloha.agent.vm.VmView;
import dev.coloha.api.Offset;
import dev.coloha.api.agent.LinkState;
import dev.coloha.api.agent.ReplicaRole;
import dev.coloha.api.agent.ReplicationRequests;
import dev.coloha.api.agent.VmState;
import java.util.List;

/** The agent's answers as the contract records of colo-api ({@code dev.coloha.api.agent}). */
final class AgentViews {
  private AgentViews() {}

  static dev.coloha.api.agent.VmView vm(VmView v) {
    return new dev.coloha.api.agent.VmView(
        v.id(),
        v.guest(),
        v.guestSha256(),
        v.state() == null ? null : VmState.valueOf(v.state().name()),
        v.memoryLimitBytes(),
        v.diskBytes(),
        v.memoryBytes(),
        v.pages(),
        v.dirtyPages(),
        v.events(),
        v.guestTimeMillis(),
        v.connections(),
        v.timers(),
        v.interval(),
        v.lastCheckpoint(),
        v.bufferedInputBytes(),
        v.inputErrors(),
        v.diskErrors(),
        v.crash(),
        v.listener(),
        v.highestConnection(),
        v.openConnections());
  }

  static List<dev.coloha.api.agent.VmView> vms(List<VmView> vs) {
    return vs.stream().map(AgentViews::vm).toList();
  }

  static dev.coloha.api.agent.ReplicationStatus replication(ReplicationStatus s) {
    return new dev.coloha.api.agent.ReplicationStatus(
        s.vm(),
        s.role() == null ? null : ReplicaRole.valueOf(s.role().name()),
        s.state() == null ? null : LinkState.valueOf(s.state().name()),
        s.epoch(),
        s.peer() == null
            ? null
            : new ReplicationRequests.PeerRef(s.peer().agentUrl(), s.peer().vm()),
        s.lastCheckpoint(),
        s.syncSequence(),
        s.checkpoints(),
        s.discarded(),
        s.bytesReceived(),
        s.reason(),
        sync(s.sync()));
  }

  private static dev.coloha.api.agent.SyncPoint sync(SyncPoint p) {
    return p == null
        ? null
        : new dev.coloha.api.agent.SyncPoint(
            p.sequence(), offsets(p.outputOffsets()), offsets(p.inputOffsets()));
  }

  static dev.coloha.api.agent.CheckpointResult checkpoint(CheckpointResult c) {
    return new dev.coloha.api.agent.CheckpointResult(
        c.vm(),
        c.epoch(),
        c.sequence(),
        offsets(c.outputOffsets()),
        offsets(c.inputOffsets()),
        c.closedConnections(),
        c.pages(),
        c.bytes(),
        c.pauseMicros(),
        c.copyMicros(),
        c.sendMicros(),
        c.receiveMicros(),
        c.transferMicros(),
        c.applyMicros(),
        c.totalMicros(),
        c.primaryDigest(),
        c.secondaryDigest());
  }

  private static List<Offset> offsets(List<CheckpointResult.ConnectionOffset> offsets) {
    return offsets == null
        ? null
        : offsets.stream().map(o -> new Offset(o.conn(), o.offset())).toList();
  }
}
