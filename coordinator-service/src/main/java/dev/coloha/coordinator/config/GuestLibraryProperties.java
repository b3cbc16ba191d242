package dev.coloha.coordinator.config;

import java.nio.file.Path;
import java.time.Duration;
import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.context.properties.bind.DefaultValue;
import org.springframework.util.unit.DataSize;

/**
 * The guest library ({@code colo.coordinator.guests.*}); docs/configuration.md.
 *
 * @param dir where modules are stored (default: {@code guests} under the data directory)
 * @param maxModuleSize largest module accepted
 * @param wasmOpt Binaryen's wasm-opt, which instruments plain WASI modules (a name is looked up on
 *     the PATH; without one only instrumented modules are accepted)
 * @param instrumentTimeout longest a wasm-opt run may take
 */
@ConfigurationProperties("colo.coordinator.guests")
public record GuestLibraryProperties(
    Path dir,
    @DefaultValue("8MB") DataSize maxModuleSize,
    @DefaultValue("wasm-opt") String wasmOpt,
    @DefaultValue("60s") Duration instrumentTimeout) {}
