/* Time formatting for the http guest (no libc time functions: they are not available without
 * WASI, and the clock must be the host's colo_clock_realtime anyway). */
#ifndef HTTP_DATE_H
#define HTTP_DATE_H

#include <stddef.h>
#include <stdint.h>

#define HTTP_IMF_DATE_LEN 29 /* "Sun, 06 Nov 1994 08:49:37 GMT" */
#define HTTP_ISO_TIME_LEN 24 /* "1994-11-06T08:49:37.123Z" */

/* RFC 7231 IMF-fixdate of ns since the epoch into out (HTTP_IMF_DATE_LEN + 1 bytes). */
void http_imf_date(int64_t ns, char *out);

/* ISO 8601 UTC with milliseconds into out (HTTP_ISO_TIME_LEN + 1 bytes). */
void http_iso_time(int64_t ns, char *out);

#endif
