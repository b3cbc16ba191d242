package dev.coloha.api.proxy;

import jakarta.validation.constraints.Max;
import jakarta.validation.constraints.Min;
import jakarta.validation.constraints.NotBlank;
import jakarta.validation.constraints.NotNull;
import jakarta.validation.constraints.Size;

/**
 * {@code POST /v1/listen-checks}: could a group listen here?
 *
 * @param address bind address, an IPv4 or IPv6 literal
 * @param port TCP port
 */
public record ListenCheck(
    @NotBlank @Size(max = 64) String address, @NotNull @Min(1) @Max(65535) Integer port) {}
