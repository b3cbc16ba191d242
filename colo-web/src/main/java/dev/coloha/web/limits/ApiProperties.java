package dev.coloha.web.limits;

import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.context.properties.bind.DefaultValue;
import org.springframework.util.unit.DataSize;

/**
 * Limits every COLO HA API applies to what clients send ({@code colo.api.*});
 * docs/configuration.md.
 *
 * @param maxJsonBody largest JSON request body (larger ones are refused with 413 before they are
 *     parsed); binary streams and module uploads have their own limits
 */
@ConfigurationProperties("colo.api")
public record ApiProperties(@DefaultValue("1MB") DataSize maxJsonBody) {}
