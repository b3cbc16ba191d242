#include "httpdate.h"

#include <string.h>

typedef struct {
    int64_t year;
    unsigned month, day, hour, min, sec, msec, wday; /* month 1-12, wday 0 = Sunday */
} civil_time;

/* Howard Hinnant's civil_from_days: days since 1970-01-01 -> proleptic Gregorian date. */
static void civil_from_days(int64_t z, int64_t *y, unsigned *m, unsigned *d) {
    z += 719468;
    int64_t era = (z >= 0 ? z : z - 146096) / 146097;
    unsigned doe = (unsigned)(z - era * 146097);
    unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    int64_t yy = (int64_t)yoe + era * 400;
    unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    unsigned mp = (5 * doy + 2) / 153;
    *d = doy - (153 * mp + 2) / 5 + 1;
    *m = mp < 10 ? mp + 3 : mp - 9;
    *y = yy + (*m <= 2);
}

static void to_civil(int64_t ns, civil_time *t) {
    int64_t ms = ns / 1000000;
    if (ns % 1000000 < 0) {
        ms--; /* floor for times before the epoch */
    }
    int64_t secs = ms / 1000;
    int64_t msec = ms % 1000;
    if (msec < 0) {
        msec += 1000;
        secs--;
    }
    int64_t days = secs / 86400;
    int64_t rem = secs % 86400;
    if (rem < 0) {
        rem += 86400;
        days--;
    }
    civil_from_days(days, &t->year, &t->month, &t->day);
    t->hour = (unsigned)(rem / 3600);
    t->min = (unsigned)(rem % 3600 / 60);
    t->sec = (unsigned)(rem % 60);
    t->msec = (unsigned)msec;
    int64_t wd = (days + 4) % 7; /* 1970-01-01 was a Thursday */
    t->wday = (unsigned)(wd < 0 ? wd + 7 : wd);
}

static char *put2(char *p, unsigned v) {
    p[0] = (char)('0' + v / 10 % 10);
    p[1] = (char)('0' + v % 10);
    return p + 2;
}

static char *put_year(char *p, int64_t y) {
    if (y < 0 || y > 9999) {
        y = y < 0 ? 0 : 9999; /* IMF-fixdate has four digits */
    }
    p = put2(p, (unsigned)(y / 100));
    return put2(p, (unsigned)(y % 100));
}

void http_imf_date(int64_t ns, char *out) {
    static const char days[] = "SunMonTueWedThuFriSat";
    static const char months[] = "JanFebMarAprMayJunJulAugSepOctNovDec";
    civil_time t;
    to_civil(ns, &t);
    char *p = out;
    memcpy(p, days + 3 * t.wday, 3);
    p += 3;
    *p++ = ',';
    *p++ = ' ';
    p = put2(p, t.day);
    *p++ = ' ';
    memcpy(p, months + 3 * (t.month - 1), 3);
    p += 3;
    *p++ = ' ';
    p = put_year(p, t.year);
    *p++ = ' ';
    p = put2(p, t.hour);
    *p++ = ':';
    p = put2(p, t.min);
    *p++ = ':';
    p = put2(p, t.sec);
    memcpy(p, " GMT", 4);
    p += 4;
    *p = '\0';
}

void http_iso_time(int64_t ns, char *out) {
    civil_time t;
    to_civil(ns, &t);
    char *p = put_year(out, t.year);
    *p++ = '-';
    p = put2(p, t.month);
    *p++ = '-';
    p = put2(p, t.day);
    *p++ = 'T';
    p = put2(p, t.hour);
    *p++ = ':';
    p = put2(p, t.min);
    *p++ = ':';
    p = put2(p, t.sec);
    *p++ = '.';
    *p++ = (char)('0' + t.msec / 100);
    p = put2(p, t.msec % 100);
    *p++ = 'Z';
    *p = '\0';
}
