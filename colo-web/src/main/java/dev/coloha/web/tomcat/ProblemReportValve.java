package dev.coloha.web.tomcat;

import dev.coloha.api.ErrorKind;
import dev.coloha.web.Problems;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import java.io.IOException;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.util.Locale;
import org.apache.catalina.connector.Request;
import org.apache.catalina.connector.Response;
import org.apache.catalina.valves.ErrorReportValve;
import org.springframework.http.HttpStatus;

/**
 * Tomcat's error report for what it refuses before any servlet runs (an encoded '/' in a path
 * segment, a request line or headers over the size limit, a malformed request): a problem document
 * instead of Tomcat's HTML page, counted like every other refusal. Replaces the host's {@link
 * ErrorReportValve}.
 */
public final class ProblemReportValve extends ErrorReportValve {
  private final MeterRegistry registry;

  public ProblemReportValve(MeterRegistry registry) {
    this.registry = registry;
  }

  @Override
  protected void report(Request request, Response response, Throwable throwable) {
    int status = response.getStatus();
    if (status < 400 || response.getContentWritten() > 0 || !response.setErrorReported()) {
      return;
    }
    Refusal r = refusal(status, request, response.getMessage(), throwable);
    Counter.builder("colo.api.rejected")
        .description("API requests answered with an error, by problem type and status")
        .tags("type", r.type(), "status", Integer.toString(status))
        .register(registry)
        .increment();
    byte[] body = Problems.body(status, r.type(), r.field(), r.detail(), null);
    try {
      response.setContentType(Problems.MEDIA_TYPE);
      response.setCharacterEncoding("UTF-8");
      Writer writer = response.getReporter();
      if (writer != null) {
        writer.write(new String(body, StandardCharsets.UTF_8));
        response.finishResponse();
      }
    } catch (IOException | IllegalStateException e) {
      // the client is gone or the response cannot be written: nothing more to say
    }
  }

  /** What Tomcat refused, as a problem type, a field and a detail. */
  record Refusal(String type, String field, String detail) {}

  static Refusal refusal(int status, Request request, String message, Throwable throwable) {
    String why =
        throwable != null && throwable.getMessage() != null ? throwable.getMessage() : message;
    String uri = request == null ? null : request.getRequestURI();
    String lower = why == null ? "" : why.toLowerCase(Locale.ROOT);
    if (uri != null && uri.toLowerCase(Locale.ROOT).matches(".*%(2f|5c|00).*")) {
      return new Refusal(
          ErrorKind.INVALID_PATH.slug(),
          "path",
          "path: an encoded '/', '\\' or NUL (%2F, %5C, %00) is not allowed in a path segment");
    }
    if (lower.contains("header") && (lower.contains("large") || lower.contains("size"))) {
      return new Refusal(
          ErrorKind.REQUEST_HEAD_TOO_LARGE.slug(),
          "headers",
          "headers: the request line and headers are larger than server.max-http-request-header-size");
    }
    if (lower.contains("uri") || lower.contains("request target") || lower.contains("path")) {
      return new Refusal(ErrorKind.INVALID_PATH.slug(), "path", "path: " + why);
    }
    HttpStatus known = HttpStatus.resolve(status);
    String slug =
        known == null
            ? "http-" + status
            : known.getReasonPhrase().toLowerCase(Locale.ROOT).replace(' ', '-');
    return new Refusal(
        slug,
        "request",
        "request: " + (why == null || why.isBlank() ? slug.replace('-', ' ') : why));
  }
}
