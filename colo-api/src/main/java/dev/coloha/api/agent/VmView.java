package dev.coloha.api.agent;

import java.util.List;

/**
 * What the agent's API shows of a VM ({@code GET /v1/vms}, {@code GET /v1/vms/{id}} and the answers
 * of its lifecycle calls).
 *
 * @param id VM id
 * @param guest guest name
 * @param guestSha256 hash of the guest module
 * @param state lifecycle state
 * @param memoryLimitBytes memory limit
 * @param diskBytes disk size
 * @param memoryBytes current linear memory size
 * @param pages current memory in 4 KiB pages
 * @param dirtyPages 4 KiB pages written since the last checkpoint
 * @param events guest calls made
 * @param guestTimeMillis time spent running guest code
 * @param connections open connections
 * @param timers armed guest timers
 * @param interval current output interval
 * @param lastCheckpoint last checkpoint captured or applied, -1 if none
 * @param bufferedInputBytes input held for the guest
 * @param inputErrors input events refused
 * @param diskErrors failed disk operations
 * @param crash why the guest crashed, or null
 * @param listener {@code address:port} of the standalone listener, or null
 * @param highestConnection the highest connection id the VM has seen or inherited: a proxy that
 *     serves it anew numbers its clients above it
 * @param openConnections ids of the connections the VM has (a proxy that serves it anew ends them:
 *     their clients were lost with the proxy that served them)
 */
public record VmView(
    String id,
    String guest,
    String guestSha256,
    VmState state,
    long memoryLimitBytes,
    long diskBytes,
    long memoryBytes,
    int pages,
    int dirtyPages,
    long events,
    double guestTimeMillis,
    int connections,
    int timers,
    long interval,
    long lastCheckpoint,
    long bufferedInputBytes,
    long inputErrors,
    long diskErrors,
    String crash,
    String listener,
    int highestConnection,
    List<Integer> openConnections) {
  public VmView {
    openConnections = openConnections == null ? List.of() : List.copyOf(openConnections);
  }
}
