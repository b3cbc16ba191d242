package dev.coloha.web;

import org.springframework.boot.autoconfigure.AutoConfiguration;
import org.springframework.context.annotation.Import;

/**
 * Plumbing every COLO HA service gets by depending on colo-web. Ordered before Spring MVC's
 * auto-configuration so that our {@link ProblemAdvice} replaces Boot's default problem handler.
 */
@AutoConfiguration(
    beforeName = "org.springframework.boot.webmvc.autoconfigure.WebMvcAutoConfiguration")
@Import(ProblemAdvice.class)
public class ColoWebAutoConfiguration {}
