package dev.coloha.api.proxy;

/** The answer to a {@link ListenCheck}: the address and port are free for a group. */
public record ListenFree(String address, int port, boolean free) {}
