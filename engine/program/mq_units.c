/*
 * mq_units.c — durations and levels as the program format writes them.
 *
 * Numbers are parsed by hand rather than with strtod(): strtod follows the
 * locale (a CLI that calls setlocale() would read "1.5" as 1 in a
 * decimal-comma locale) and accepts "nan", "inf" and hex, none of which are a
 * duration a user meant.
 */
#include "mq_program_internal.h"

#include <math.h>
#include <string.h>
#include <strings.h>

#define MQ_DURATION_MAX (24.0 * 3600.0)
#define MQ_DIGITS_MAX 15    /* more than this is not a number anyone meant */

static int is_space(int c)
{
    return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v';
}

static int is_digit(int c)
{
    return c >= '0' && c <= '9';
}

/* Reads "12", "1.5", ".5" or "2." at *P and advances past it. Returns 0, or
 * -1 when there is no number or it has too many digits. */
static int read_decimal(const char **p, double *v)
{
    const char *s = *p;
    double x = 0, scale = 1;
    int digits = 0, frac = 0;
    for (; is_digit((unsigned char)*s); s++, digits++)
        x = x * 10 + (*s - '0');
    if (*s == '.') {
        s++;
        for (; is_digit((unsigned char)*s); s++, frac++) {
            x = x * 10 + (*s - '0');
            scale *= 10;
        }
    }
    if (digits + frac == 0 || digits + frac > MQ_DIGITS_MAX)
        return -1;
    *v = x / scale;
    *p = s;
    return 0;
}

/* Reads exactly N digits; returns the value or -1. */
static int read_fixed(const char **p, int n)
{
    int x = 0;
    for (int i = 0; i < n; i++) {
        if (!is_digit((unsigned char)(*p)[i]))
            return -1;
        x = x * 10 + ((*p)[i] - '0');
    }
    *p += n;
    return x;
}

int mq_parse_number_unit(const char *s, const char *const *units, int is_signed, double *v)
{
    double sign = 1, x;
    while (is_space((unsigned char)*s))
        s++;
    if (is_signed && (*s == '+' || *s == '-'))
        sign = *s++ == '-' ? -1 : 1;
    if (read_decimal(&s, &x) < 0)
        return -1;
    while (is_space((unsigned char)*s))
        s++;
    if (*s && units) {
        size_t n = strlen(s);
        while (n && is_space((unsigned char)s[n - 1]))
            n--;
        int found = 0;
        for (size_t i = 0; units[i] && !found; i++)
            found = strlen(units[i]) == n && strncasecmp(s, units[i], n) == 0;
        if (!found)
            return -1;
        s += n;
        while (is_space((unsigned char)*s))
            s++;
    }
    if (*s)
        return -1;
    *v = sign * x;
    return isfinite(*v) ? 0 : -1;
}

/* "1:30", "1:02:03.5": the fields after the first are two digits below 60. */
static int parse_clock(const char *s, double *v)
{
    double first = 0, sec;
    int fields[2], n = 0, digits = 0;
    const char *p = s;
    for (; is_digit((unsigned char)*p) && digits < MQ_DIGITS_MAX; p++, digits++)
        first = first * 10 + (*p - '0');
    if (digits == 0)
        return -1;
    while (*p == ':' && n < 2) {
        p++;
        fields[n] = read_fixed(&p, 2);
        if (fields[n] < 0 || fields[n] >= 60)
            return -1;
        n++;
    }
    if (n == 0)
        return -1;
    sec = fields[n - 1];
    if (*p == '.') {
        double f = 0, scale = 1;
        int fd = 0;
        for (p++; is_digit((unsigned char)*p) && fd < MQ_DIGITS_MAX; p++, fd++) {
            f = f * 10 + (*p - '0');
            scale *= 10;
        }
        sec += f / scale;
    }
    if (*p)
        return -1;
    *v = n == 1 ? first * 60 + sec : first * 3600 + fields[0] * 60 + sec;
    return 0;
}

int mq_parse_duration(const char *s, double *seconds, mq_error *err)
{
    static const char *const units_s[] = { "s", "sec", NULL };
    static const char *const units_ms[] = { "ms", NULL };
    static const char *const units_min[] = { "min", NULL };
    static const char *const units_h[] = { "h", NULL };
    char q[96];
    double v;
    if (!s || !seconds)
        return mq_error_set(err, MQ_EINVAL, "mq_parse_duration: NULL argument");
    const char *b = s, *e = s + strlen(s);
    while (is_space((unsigned char)*b))
        b++;
    while (e > b && is_space((unsigned char)e[-1]))
        e--;
    mq_quote(b, (size_t)(e - b), q, sizeof q);
    if (b == e)
        return mq_error_set(err, MQ_EINPUT, "empty duration (write e.g. 1.5s, 500ms, 1:30 or 2)");
    char buf[64];
    if ((size_t)(e - b) >= sizeof buf)
        return mq_error_set(err, MQ_EINPUT, "'%s' is not a duration", q);
    memcpy(buf, b, (size_t)(e - b));
    buf[e - b] = '\0';
    const char *t = buf[0] == '-' ? buf + 1 : buf;
    int ok;
    if (strchr(t, ':')) {
        ok = parse_clock(t, &v) == 0;
    } else {
        ok = mq_parse_number_unit(t, NULL, 0, &v) == 0 ||
             mq_parse_number_unit(t, units_s, 0, &v) == 0;
        if (!ok && mq_parse_number_unit(t, units_ms, 0, &v) == 0)
            ok = 1, v /= 1000;
        if (!ok && mq_parse_number_unit(t, units_min, 0, &v) == 0)
            ok = 1, v *= 60;
        if (!ok && mq_parse_number_unit(t, units_h, 0, &v) == 0)
            ok = 1, v *= 3600;
    }
    if (!ok)
        return mq_error_set(err, MQ_EINPUT,
                            "'%s' is not a duration (write e.g. 1.5s, 500ms, 1:30 or 2)", q);
    if (t != buf && v != 0)
        return mq_error_set(err, MQ_EINPUT, "negative duration '%s'", q);
    if (v > MQ_DURATION_MAX)
        return mq_error_set(err, MQ_EINPUT, "duration '%s' is longer than 24 hours", q);
    *seconds = v;
    return MQ_OK;
}

int mq_parse_level(const char *s, double *db, mq_error *err)
{
    static const char *const units[] = { "dB", NULL };
    char q[96];
    if (!s || !db)
        return mq_error_set(err, MQ_EINVAL, "mq_parse_level: NULL argument");
    if (mq_parse_number_unit(s, units, 1, db) < 0)
        return mq_error_set(err, MQ_EINPUT, "'%s' is not a level (write e.g. -3 dB or -3)",
                            mq_quote(s, strlen(s), q, sizeof q));
    return MQ_OK;
}
