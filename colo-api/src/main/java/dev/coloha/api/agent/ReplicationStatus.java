package dev.coloha.api.agent;

/**
 * A VM's replication as its agent reports it: the answer of {@code GET /v1/vms/{id}/replication},
 * {@code POST .../secondary}, {@code .../primary} and {@code .../promote}.
 *
 * @param vm VM id
 * @param role its part in the pair
 * @param state link state
 * @param epoch the VM's epoch
 * @param peer the other side, or null
 * @param lastCheckpoint last checkpoint acknowledged (primary) or applied (secondary), -1 if none
 * @param syncSequence the checkpoint that completed the initial sync, -1 if none yet
 * @param checkpoints checkpoints completed on this link
 * @param discarded checkpoints a secondary discarded whole (torn, corrupt, out of chain)
 * @param bytesReceived stream bytes a secondary has received from its primaries so far
 * @param reason why the link is not PROTECTED, or null
 * @param sync the checkpoint that completed the primary's initial sync, with offsets, or null
 */
public record ReplicationStatus(
    String vm,
    ReplicaRole role,
    LinkState state,
    long epoch,
    ReplicationRequests.PeerRef peer,
    long lastCheckpoint,
    long syncSequence,
    long checkpoints,
    long discarded,
    long bytesReceived,
    String reason,
    SyncPoint sync) {}
