package dev.coloha.web.openapi;

import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.context.properties.bind.DefaultValue;

/**
 * What a service's OpenAPI description says about itself ({@code colo.openapi.*}).
 *
 * @param title the API's title, e.g. "COLO HA coordinator API"
 * @param description what the service does, for a portal's reader
 * @param version the version of the API description (not of the build)
 * @param serverUrl the {@code servers} entry portals and generated clients start from, e.g. {@code
 *     https://colo.example.com}; each service's application.yml gives its default port on localhost
 */
@ConfigurationProperties("colo.openapi")
public record ApiDocProperties(
    @DefaultValue("COLO HA API") String title,
    @DefaultValue("") String description,
    @DefaultValue("1.0.0") String version,
    @DefaultValue("http://{host}:8080") String serverUrl,
    @DefaultValue("localhost") String serverHost) {}
