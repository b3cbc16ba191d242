package dev.coloha.web.limits;

import dev.coloha.web.Problems;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import jakarta.servlet.FilterChain;
import jakarta.servlet.ReadListener;
import jakarta.servlet.ServletException;
import jakarta.servlet.ServletInputStream;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletRequestWrapper;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import org.springframework.web.filter.OncePerRequestFilter;

/**
 * Refuses a JSON request body larger than {@code colo.api.max-json-body} with 413 and a problem
 * document: at once when its Content-Length says so, otherwise (chunked) as soon as the parser has
 * read past the limit. Other bodies (binary streams, module uploads) pass untouched.
 */
public final class JsonBodyLimitFilter extends OncePerRequestFilter {
  private final long limit;
  private final MeterRegistry registry;

  public JsonBodyLimitFilter(ApiProperties props, MeterRegistry registry) {
    this.limit = props.maxJsonBody().toBytes();
    this.registry = registry;
  }

  @Override
  protected boolean shouldNotFilter(HttpServletRequest request) {
    String type = request.getContentType();
    if (type == null) {
      return false; // no declared type: Spring refuses it, but count its size first
    }
    String base = type.split(";", 2)[0].trim().toLowerCase(java.util.Locale.ROOT);
    return !(base.equals("application/json") || base.endsWith("+json"));
  }

  @Override
  protected void doFilterInternal(
      HttpServletRequest request, HttpServletResponse response, FilterChain chain)
      throws ServletException, IOException {
    long length = request.getContentLengthLong();
    if (length > limit) {
      Counter.builder("colo.api.rejected")
          .description("API requests answered with an error, by problem type and status")
          .tags("type", "body-too-large", "status", "413")
          .register(registry)
          .increment();
      Problems.write(
          response,
          413,
          "body-too-large",
          "body",
          "body: " + length + " bytes is larger than colo.api.max-json-body (" + limit + " bytes)",
          request.getRequestURI());
      return;
    }
    chain.doFilter(length >= 0 ? request : new Limited(request, limit), response);
  }

  /** A request whose body stream fails with {@link BodyTooLargeException} past the limit. */
  private static final class Limited extends HttpServletRequestWrapper {
    private final long limit;
    private ServletInputStream in;

    Limited(HttpServletRequest request, long limit) {
      super(request);
      this.limit = limit;
    }

    @Override
    public ServletInputStream getInputStream() throws IOException {
      if (in == null) {
        ServletInputStream raw = super.getInputStream();
        in =
            new ServletInputStream() {
              private long read;

              private int count(int n) throws IOException {
                if (n > 0) {
                  read += n;
                  if (read > limit) {
                    throw new BodyTooLargeException(limit);
                  }
                }
                return n;
              }

              @Override
              public int read() throws IOException {
                int b = raw.read();
                if (b >= 0) {
                  count(1);
                }
                return b;
              }

              @Override
              public int read(byte[] b, int off, int len) throws IOException {
                return count(raw.read(b, off, len));
              }

              @Override
              public boolean isFinished() {
                return raw.isFinished();
              }

              @Override
              public boolean isReady() {
                return raw.isReady();
              }

              @Override
              public void setReadListener(ReadListener listener) {
                raw.setReadListener(listener);
              }
            };
      }
      return in;
    }
  }
}
