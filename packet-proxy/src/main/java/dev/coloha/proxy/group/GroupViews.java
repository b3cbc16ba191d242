package dev.coloha.proxy.group;

import dev.coloha.api.proxy.GroupView;
import dev.coloha.proxy.compare.OutputComparator;
import dev.coloha.proxy.event.EventLog;

/** A group's parts, as one {@link GroupView} for the API. */
final class GroupViews {
  private GroupViews() {}

  static GroupView of(
      GroupSpec s,
      Roles r,
      OutputComparator.Stats st,
      int connections,
      long retained,
      long mismatches,
      EventLog events,
      SelfCheckpoint selfCheckpoint) {
    return new GroupView(
        s.name(),
        s.epoch(),
        s.mode().name(),
        state(s, r),
        s.bindAddress() + ":" + s.port(),
        r.primary().view(),
        r.secondary() == null ? null : r.secondary().view(),
        s.compareTimeout(),
        s.limits(),
        new GroupView.Counters(
            connections,
            st.committed() < -1 ? -1 : st.committed(),
            st.compareInterval() < 0 ? -1 : st.compareInterval(),
            st.heldPrimary(),
            st.heldSecondary(),
            st.compared(),
            st.releasedMatched(),
            st.releasedCommitted(),
            st.releasedSingle(),
            st.droppedSecondary(),
            retained,
            mismatches,
            events.lastId(),
            events.subscribers(),
            selfCheckpoint.taken(),
            selfCheckpoint.failed()));
  }

  /** PASSTHROUGH, UNPROTECTED, DEGRADED, CONNECTING or PROTECTED. */
  private static String state(GroupSpec s, Roles r) {
    if (s.mode() == GroupSpec.Mode.PASSTHROUGH) {
      return "PASSTHROUGH";
    } else if (r.secondary() == null) {
      return "UNPROTECTED";
    } else if (r.primary().broken != null || r.secondary().broken != null) {
      return "DEGRADED";
    } else if (!r.primary().out.connected() || !r.secondary().out.connected()) {
      return "CONNECTING";
    }
    return "PROTECTED";
  }
}
