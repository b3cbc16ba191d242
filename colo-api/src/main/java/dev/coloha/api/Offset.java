package dev.coloha.api;

import jakarta.validation.constraints.NotNull;
import jakarta.validation.constraints.PositiveOrZero;

/** A client connection of a protected service and a byte offset in one of its streams. */
public record Offset(@NotNull @PositiveOrZero Integer conn, @NotNull @PositiveOrZero Long offset) {}
