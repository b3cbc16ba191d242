package dev.coloha.proxy.replica;

import java.time.Duration;

/** Timeouts and sizes of the streams to one agent. */
public record StreamSettings(
    Duration connectTimeout, Duration readTimeout, Duration heartbeatInterval, int maxFrame) {}
