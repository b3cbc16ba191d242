package dev.coloha.web;

import dev.coloha.api.ErrorKind;
import dev.coloha.wire.ColoException;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.util.Locale;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.http.HttpHeaders;
import org.springframework.http.HttpStatus;
import org.springframework.http.HttpStatusCode;
import org.springframework.http.ProblemDetail;
import org.springframework.http.ResponseEntity;
import org.springframework.web.bind.annotation.ExceptionHandler;
import org.springframework.web.bind.annotation.RestControllerAdvice;
import org.springframework.web.context.request.RequestContextHolder;
import org.springframework.web.context.request.ServletRequestAttributes;
import org.springframework.web.context.request.WebRequest;
import org.springframework.web.servlet.mvc.method.annotation.ResponseEntityExceptionHandler;

/**
 * Turns every error into an RFC 9457 problem document and counts it ({@code colo_api_rejected} by
 * type and status). {@link ColoException}s keep their slug as the problem type and their details as
 * properties, so a client can recover (e.g. read {@code currentEpoch}).
 */
@RestControllerAdvice
public class ProblemAdvice extends ResponseEntityExceptionHandler {
  private static final Logger log = LoggerFactory.getLogger(ProblemAdvice.class);
  public static final String TYPE_BASE = Problems.TYPE_BASE;

  private final MeterRegistry registry;

  public ProblemAdvice(MeterRegistry registry) {
    this.registry = registry;
  }

  /**
   * HTTP status for a COLO error slug: its {@link ErrorKind}'s; a slug no kind has is 422
   * Unprocessable Content.
   */
  public static HttpStatus statusOf(String type) {
    return HttpStatus.valueOf(ErrorKind.statusOf(type));
  }

  @ExceptionHandler(ColoException.class)
  ResponseEntity<ProblemDetail> colo(ColoException e) {
    HttpStatus status = HttpStatus.valueOf(e.kind().status());
    ProblemDetail p = ProblemDetail.forStatusAndDetail(status, Problems.cut(e.getMessage()));
    p.setType(URI.create(TYPE_BASE + e.type()));
    p.setTitle(title(e.type()));
    e.details().forEach(p::setProperty);
    return respond(p, e.type());
  }

  @ExceptionHandler(IllegalArgumentException.class)
  ResponseEntity<ProblemDetail> badArgument(IllegalArgumentException e) {
    ProblemDetail p =
        ProblemDetail.forStatusAndDetail(HttpStatus.BAD_REQUEST, Problems.cut(e.getMessage()));
    p.setType(URI.create(TYPE_BASE + ErrorKind.BAD_REQUEST.slug()));
    p.setTitle("Bad request");
    return respond(p, ErrorKind.BAD_REQUEST.slug());
  }

  @ExceptionHandler(UncheckedIOException.class)
  ResponseEntity<ProblemDetail> io(UncheckedIOException e) {
    log.warn("I/O failure: {}", e.getMessage());
    ProblemDetail p =
        ProblemDetail.forStatusAndDetail(
            HttpStatus.INTERNAL_SERVER_ERROR, e.getMessage() + ": " + e.getCause().getMessage());
    p.setType(URI.create(TYPE_BASE + ErrorKind.IO_ERROR.slug()));
    p.setTitle("I/O error");
    return respond(p, ErrorKind.IO_ERROR.slug());
  }

  /**
   * The client went away in the middle of a long-lived stream (the proxy or a peer agent closed it,
   * or died): nothing can be answered and nothing is wrong here.
   */
  @ExceptionHandler(IOException.class)
  ResponseEntity<ProblemDetail> io(IOException e) {
    if (isClientGone(e)) {
      log.debug("client went away: {}", e.toString());
      count("client-gone", 499);
      return null;
    }
    return unexpected(e);
  }

  /** Tomcat's ClientAbortException, or a broken pipe / reset while writing to the client. */
  static boolean isClientGone(Throwable e) {
    for (Throwable t = e; t != null; t = t.getCause()) {
      if (t.getClass().getSimpleName().equals("ClientAbortException")
          || t instanceof java.io.EOFException) {
        return true;
      }
      String m = t.getMessage();
      if (m != null && (m.contains("Broken pipe") || m.contains("Connection reset"))) {
        return true;
      }
    }
    return false;
  }

  @ExceptionHandler(Exception.class)
  ResponseEntity<ProblemDetail> unexpected(Exception e) {
    log.error("unexpected error", e);
    ProblemDetail p =
        ProblemDetail.forStatusAndDetail(
            HttpStatus.INTERNAL_SERVER_ERROR, e.getClass().getSimpleName() + ": " + e.getMessage());
    p.setType(URI.create(TYPE_BASE + ErrorKind.INTERNAL_ERROR.slug()));
    p.setTitle("Internal error");
    return respond(p, ErrorKind.INTERNAL_ERROR.slug());
  }

  /**
   * Spring MVC's own errors (validation, bad JSON, unknown fields, 404, 405...): a stable type, the
   * field that is wrong ({@code field}, and {@code errors} when several are) and a detail that
   * starts with it; counted too. Client errors are not logged.
   */
  @Override
  protected ResponseEntity<Object> handleExceptionInternal(
      Exception ex, Object body, HttpHeaders headers, HttpStatusCode status, WebRequest request) {
    FieldProblem named = FieldProblem.of(ex, status);
    HttpStatusCode answered = named == null ? status : named.status();
    ResponseEntity<Object> r = super.handleExceptionInternal(ex, body, headers, answered, request);
    String type = named == null ? slug(answered) : named.type();
    if (r != null && r.getBody() instanceof ProblemDetail p) {
      if (named != null) {
        p.setStatus(answered.value());
        p.setTitle(title(type));
        p.setType(URI.create(TYPE_BASE + type));
        p.setDetail(Problems.cut(named.detail()));
        if (named.field() != null) {
          p.setProperty("field", named.field());
        }
        if (named.errors().size() > 1) {
          p.setProperty("errors", named.errors());
        }
        if (!answered.equals(r.getStatusCode())) {
          r = ResponseEntity.status(answered).headers(r.getHeaders()).body(p);
        }
      } else {
        if (p.getType() == null || "about:blank".equals(p.getType().toString())) {
          p.setType(URI.create(TYPE_BASE + type));
        }
        p.setDetail(Problems.cut(p.getDetail()));
      }
      bounded(p);
    }
    count(type, answered.value());
    return r;
  }

  /** "bad-request", "not-found", "method-not-allowed"... from a status code. */
  private static String slug(HttpStatusCode status) {
    HttpStatus known = HttpStatus.resolve(status.value());
    return known == null
        ? "http-" + status.value()
        : known.getReasonPhrase().toLowerCase(Locale.ROOT).replace(' ', '-');
  }

  private ResponseEntity<ProblemDetail> respond(ProblemDetail p, String type) {
    bounded(p);
    count(type, p.getStatus());
    return ResponseEntity.status(p.getStatus()).body(p);
  }

  /**
   * Nothing the client sent comes back longer than {@link Problems#MAX_ECHO} characters at a
   * stretch: the instance (the request path) and every text property are cut.
   */
  private static void bounded(ProblemDetail p) {
    if (RequestContextHolder.getRequestAttributes() instanceof ServletRequestAttributes a) {
      String path = a.getRequest().getRequestURI();
      p.setInstance(URI.create(Problems.cut(path).replace(" ", "%20")));
    }
    if (p.getProperties() != null) {
      p.getProperties().replaceAll((k, v) -> v instanceof String text ? Problems.cut(text) : v);
    }
  }

  private void count(String type, int status) {
    Counter.builder("colo.api.rejected")
        .description("API requests answered with an error, by problem type and status")
        .tags("type", type, "status", Integer.toString(status))
        .register(registry)
        .increment();
  }

  /** "Stale epoch" from "stale-epoch": the title of a problem document of that type. */
  public static String title(String type) {
    String words = type.replace('-', ' ');
    return Character.toUpperCase(words.charAt(0)) + words.substring(1);
  }
}
