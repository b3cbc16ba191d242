package dev.coloha.wire.frame;

/** Type and payload length of one frame. */
public record FrameHead(int type, int length) {}
