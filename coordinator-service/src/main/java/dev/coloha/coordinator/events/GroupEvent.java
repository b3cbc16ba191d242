package dev.coloha.coordinator.events;

import java.time.Instant;

/**
 * Something that happened to a group, for portals (server-sent events) and the history.
 *
 * @param at when
 * @param group group id
 * @param kind e.g. created, state, checkpoint-failed, mismatch, failover, reprotected, deleted
 * @param epoch the group's epoch then
 * @param state the group's state then
 * @param detail human-readable detail
 */
public record GroupEvent(
    Instant at, String group, String kind, long epoch, String state, String detail) {}
