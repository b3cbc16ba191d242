package dev.coloha.api.validation;

import jakarta.validation.Constraint;
import jakarta.validation.Payload;
import java.lang.annotation.Documented;
import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;

/**
 * The base URL of another COLO HA service: {@code http} or {@code https}, a host, no user info,
 * query or fragment (so {@code file:///etc/passwd} or {@code gopher://...} are refused). Null is
 * valid (combine with {@code @NotBlank} when required).
 */
@Documented
@Constraint(validatedBy = ServiceUrlValidator.class)
@Target({
  ElementType.FIELD,
  ElementType.PARAMETER,
  ElementType.RECORD_COMPONENT,
  ElementType.TYPE_USE
})
@Retention(RetentionPolicy.RUNTIME)
public @interface ServiceUrl {
  String message() default
      "must be an http:// or https:// URL with a host and no user info, query or fragment";

  Class<?>[] groups() default {};

  Class<? extends Payload>[] payload() default {};
}
