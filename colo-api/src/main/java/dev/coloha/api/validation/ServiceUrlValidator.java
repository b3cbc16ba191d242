package dev.coloha.api.validation;

import jakarta.validation.ConstraintValidator;
import jakarta.validation.ConstraintValidatorContext;
import java.net.URI;
import java.net.URISyntaxException;

/** Checks {@link ServiceUrl}. */
public final class ServiceUrlValidator implements ConstraintValidator<ServiceUrl, String> {

  @Override
  public boolean isValid(String value, ConstraintValidatorContext context) {
    return value == null || isServiceUrl(value);
  }

  /** Whether {@code value} is an http(s) URL with a host and nothing a service URL never has. */
  public static boolean isServiceUrl(String value) {
    if (value.length() > 2048) {
      return false;
    }
    try {
      URI u = new URI(value);
      String scheme = u.getScheme();
      return scheme != null
          && (scheme.equalsIgnoreCase("http") || scheme.equalsIgnoreCase("https"))
          && u.getHost() != null
          && !u.getHost().isBlank()
          && u.getRawUserInfo() == null
          && u.getRawQuery() == null
          && u.getRawFragment() == null
          && u.getPort() <= 65535;
    } catch (URISyntaxException e) {
      return false;
    }
  }
}
