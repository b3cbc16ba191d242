package dev.coloha.web.limits;

import java.io.IOException;

/** A JSON request body went past {@code colo.api.max-json-body}: the request is refused (413). */
public final class BodyTooLargeException extends IOException {
  public BodyTooLargeException(long limit) {
    super("is larger than colo.api.max-json-body (" + limit + " bytes)");
  }
}
