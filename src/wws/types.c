/* nettcp WWSAPI: the text forms of the serializer's value types beyond
 * numbers and strings (float, datetime, timespan, guid, unique id, bytes,
 * XML string, enum), as DataContractSerializer writes and reads them. */
#include "wws_int.h"

#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define TICKS_PER_SEC 10000000LL
#define TICKS_PER_DAY (86400LL * TICKS_PER_SEC)
#define DATETIME_MAX_TICKS 3155378975999999999ULL /* 9999-12-31T23:59:59.9999999 */

size_t ntcp__wws_type_size(WS_TYPE t)
{
    switch (t) {
    case WS_FLOAT_TYPE: return sizeof(float);
    case WS_DATETIME_TYPE: return sizeof(WS_DATETIME);
    case WS_TIMESPAN_TYPE: return sizeof(WS_TIMESPAN);
    case WS_GUID_TYPE: return sizeof(GUID);
    case WS_UNIQUE_ID_TYPE: return sizeof(WS_UNIQUE_ID);
    case WS_BYTES_TYPE: return sizeof(WS_BYTES);
    case WS_XML_STRING_TYPE: return sizeof(WS_XML_STRING);
    case WS_ENUM_TYPE: return sizeof(int);
    case WS_DECIMAL_TYPE: return sizeof(DECIMAL);
    default: return 0;
    }
}

static HRESULT bad(WS_ERROR *error, const char *what, const char *s)
{
    return ntcp__wws_fail(error, WS_E_INVALID_FORMAT, NTCP_CAUSE_PROTOCOL, "'%.64s' is not a valid %s", s, what);
}

/* ---- dates: days since 0001-01-01 <-> proleptic Gregorian y/m/d ---------- */
static long long days_from_civil(long long y, unsigned m, unsigned d)
{
    y -= m <= 2;
    long long era = (y >= 0 ? y : y - 399) / 400;
    unsigned yoe = (unsigned)(y - era * 400);
    unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + (long long)doe - 719468 + 719162; /* 1970-01-01 is day 719162 */
}

static void civil_from_days(long long z, long long *y, unsigned *m, unsigned *d)
{
    z -= 719162;
    z += 719468;
    long long era = (z >= 0 ? z : z - 146096) / 146097;
    unsigned doe = (unsigned)(z - era * 146097);
    unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    unsigned mp = (5 * doy + 2) / 153;
    *d = doy - (153 * mp + 2) / 5 + 1;
    *m = mp < 10 ? mp + 3 : mp - 9;
    *y = (long long)yoe + era * 400 + (*m <= 2);
}

/* ".1234567" without trailing zeros, "" for 0 */
static void fraction(char *out, size_t cap, long long ticks)
{
    if (!ticks) { out[0] = 0; return; }
    snprintf(out, cap, ".%07lld", ticks);
    size_t n = strlen(out);
    while (n > 1 && out[n - 1] == '0') out[--n] = 0;
}

static const char *digits(const char *s, int n, long long *v)
{
    *v = 0;
    for (int i = 0; i < n; i++, s++) {
        if (*s < '0' || *s > '9') return NULL;
        *v = *v * 10 + (*s - '0');
    }
    return s;
}

/* [.f{1,7}] -> ticks */
static const char *parse_fraction(const char *s, long long *ticks)
{
    *ticks = 0;
    if (*s != '.') return s;
    s++;
    int n = 0;
    long long v = 0;
    while (*s >= '0' && *s <= '9') {
        if (n < 7) v = v * 10 + (*s - '0');
        n++;
        s++;
    }
    if (!n) return NULL;
    for (int i = n; i < 7; i++) v *= 10;
    *ticks = v;
    return s;
}

static HRESULT parse_datetime(const char *s, WS_DATETIME *out, WS_ERROR *error)
{
    long long y, mo, d, h, mi, se, fr;
    const char *p = s;
    if (!(p = digits(p, 4, &y)) || *p++ != '-' || !(p = digits(p, 2, &mo)) || *p++ != '-' || !(p = digits(p, 2, &d)) ||
        *p++ != 'T' || !(p = digits(p, 2, &h)) || *p++ != ':' || !(p = digits(p, 2, &mi)) || *p++ != ':' ||
        !(p = digits(p, 2, &se)) || !(p = parse_fraction(p, &fr)))
        return bad(error, "xs:dateTime", s);
    static const unsigned mdays[] = {31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    bool leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
    if (y < 1 || mo < 1 || mo > 12 || d < 1 || d > mdays[mo - 1] || (mo == 2 && d == 29 && !leap) || h > 23 || mi > 59 ||
        se > 59)
        return bad(error, "xs:dateTime", s);
    long long ticks = days_from_civil(y, (unsigned)mo, (unsigned)d) * TICKS_PER_DAY +
                      ((h * 60 + mi) * 60 + se) * TICKS_PER_SEC + fr;
    WS_DATETIME_FORMAT fmt = WS_DATETIME_FORMAT_NONE;
    if (*p == 'Z') {
        fmt = WS_DATETIME_FORMAT_UTC;
        p++;
    } else if (*p == '+' || *p == '-') { /* an offset: kept as UTC ticks of a local time */
        int sign = *p++ == '-' ? -1 : 1;
        long long oh, om;
        if (!(p = digits(p, 2, &oh)) || *p++ != ':' || !(p = digits(p, 2, &om)) || oh > 14 || om > 59)
            return bad(error, "xs:dateTime", s);
        ticks -= sign * (oh * 60 + om) * 60 * TICKS_PER_SEC;
        fmt = WS_DATETIME_FORMAT_LOCAL;
    }
    if (*p) return bad(error, "xs:dateTime", s);
    if (ticks < 0 || (unsigned long long)ticks > DATETIME_MAX_TICKS)
        return ntcp__wws_fail(error, WS_E_NUMERIC_OVERFLOW, NTCP_CAUSE_PROTOCOL, "the dateTime '%.64s' is out of range", s);
    out->ticks = (unsigned long long)ticks;
    out->format = fmt;
    return S_OK;
}

static HRESULT datetime_text(const WS_DATETIME *v, char *out, size_t cap, WS_ERROR *error)
{
    if (v->ticks > DATETIME_MAX_TICKS)
        return ntcp__wws_fail(error, E_INVALIDARG, NTCP_CAUSE_INVALID_ARGUMENT, "a WS_DATETIME beyond 9999-12-31");
    if (v->format == WS_DATETIME_FORMAT_LOCAL)
        return ntcp__wws_notimpl(error, "writing a WS_DATETIME in WS_DATETIME_FORMAT_LOCAL (use UTC or NONE)");
    if (v->format != WS_DATETIME_FORMAT_UTC && v->format != WS_DATETIME_FORMAT_NONE)
        return ntcp__wws_fail(error, E_INVALIDARG, NTCP_CAUSE_INVALID_ARGUMENT, "WS_DATETIME_FORMAT %d", (int)v->format);
    long long t = (long long)v->ticks, days = t / TICKS_PER_DAY, rest = t % TICKS_PER_DAY, y;
    unsigned m, d;
    civil_from_days(days, &y, &m, &d);
    long long secs = rest / TICKS_PER_SEC;
    char fr[16];
    fraction(fr, sizeof fr, rest % TICKS_PER_SEC);
    snprintf(out, cap, "%04lld-%02u-%02uT%02lld:%02lld:%02lld%s%s", y, m, d, secs / 3600, secs / 60 % 60, secs % 60, fr,
             v->format == WS_DATETIME_FORMAT_UTC ? "Z" : "");
    return S_OK;
}

/* ---- xs:duration, as XmlConvert.ToString(TimeSpan) ---------------------- */
static void timespan_text(long long ticks, char *out, size_t cap)
{
    unsigned long long u = ticks < 0 ? 0ULL - (unsigned long long)ticks : (unsigned long long)ticks;
    unsigned long long days = u / TICKS_PER_DAY, rest = u % TICKS_PER_DAY, secs = rest / TICKS_PER_SEC;
    unsigned long long h = secs / 3600, mi = secs / 60 % 60, s = secs % 60, fr = rest % TICKS_PER_SEC;
    size_t n = 0;
    n += (size_t)snprintf(out + n, cap - n, "%sP", ticks < 0 ? "-" : "");
    if (days) n += (size_t)snprintf(out + n, cap - n, "%lluD", days);
    if (rest || !days) {
        n += (size_t)snprintf(out + n, cap - n, "T");
        if (h) n += (size_t)snprintf(out + n, cap - n, "%lluH", h);
        if (mi) n += (size_t)snprintf(out + n, cap - n, "%lluM", mi);
        if (s || fr || !rest) {
            char f[16];
            fraction(f, sizeof f, (long long)fr);
            snprintf(out + n, cap - n, "%llu%sS", s, f);
        }
    }
}

static HRESULT parse_timespan(const char *s, long long *out, WS_ERROR *error)
{
    const char *p = s;
    bool neg = *p == '-';
    if (neg) p++;
    if (*p++ != 'P') return bad(error, "xs:duration", s);
    /* Y = 365 days and M = 30 days, as .NET reads them */
    static const struct { char c; long long ticks; bool time; } parts[] = {
        {'Y', 365 * TICKS_PER_DAY, false}, {'M', 30 * TICKS_PER_DAY, false}, {'D', TICKS_PER_DAY, false},
        {'H', 3600 * TICKS_PER_SEC, true}, {'M', 60 * TICKS_PER_SEC, true}, {'S', TICKS_PER_SEC, true}};
    unsigned long long total = 0;
    bool in_time = false, any = false, time_any = false;
    size_t k = 0;
    while (*p) {
        if (*p == 'T') {
            if (in_time) return bad(error, "xs:duration", s);
            in_time = true;
            p++;
            while (k < 6 && !parts[k].time) k++;
            continue;
        }
        unsigned long long v = 0;
        int nd = 0;
        while (*p >= '0' && *p <= '9') {
            if (v > (UINT64_MAX - 9) / 10) goto overflow;
            v = v * 10 + (unsigned long long)(*p++ - '0');
            nd++;
        }
        if (!nd) return bad(error, "xs:duration", s);
        long long fr = 0;
        if (*p == '.') {
            if (!in_time) return bad(error, "xs:duration", s);
            if (!(p = parse_fraction(p, &fr)) || *p != 'S') return bad(error, "xs:duration", s);
        }
        while (k < 6 && (parts[k].c != *p || parts[k].time != in_time)) k++;
        if (k == 6) return bad(error, "xs:duration", s);
        unsigned long long unit = (unsigned long long)parts[k].ticks;
        if (v > UINT64_MAX / unit) goto overflow;
        unsigned long long add = v * unit + (unsigned long long)fr;
        if (total > UINT64_MAX - add) goto overflow;
        total += add;
        any = true;
        if (in_time) time_any = true;
        k++;
        p++;
    }
    if (!any || (in_time && !time_any)) return bad(error, "xs:duration", s);
    if (total > (neg ? (unsigned long long)INT64_MAX + 1 : (unsigned long long)INT64_MAX)) goto overflow;
    *out = neg ? (long long)(0ULL - total) : (long long)total;
    return S_OK;
overflow:
    return ntcp__wws_fail(error, WS_E_NUMERIC_OVERFLOW, NTCP_CAUSE_PROTOCOL, "the duration '%.64s' is out of range", s);
}

/* ---- GUIDs -------------------------------------------------------------- */
static void guid_text(const GUID *g, char *out, size_t cap)
{
    snprintf(out, cap, "%08x-%04x-%04x-%02x%02x-%02x%02x%02x%02x%02x%02x", (unsigned)g->Data1, (unsigned)g->Data2,
             (unsigned)g->Data3, g->Data4[0], g->Data4[1], g->Data4[2], g->Data4[3], g->Data4[4], g->Data4[5],
             g->Data4[6], g->Data4[7]);
}

static int hexval(char c)
{
    return c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : c >= 'A' && c <= 'F' ? c - 'A' + 10 : -1;
}

static bool parse_guid(const char *s, GUID *g)
{
    if (strlen(s) != 36) return false;
    uint8_t b[16];
    int k = 0;
    for (int i = 0; i < 36;) {
        if (i == 8 || i == 13 || i == 18 || i == 23) {
            if (s[i++] != '-') return false;
            continue;
        }
        int hi = hexval(s[i]), lo = hexval(s[i + 1]);
        if (hi < 0 || lo < 0) return false;
        b[k++] = (uint8_t)(hi << 4 | lo);
        i += 2;
    }
    g->Data1 = (uint32_t)b[0] << 24 | (uint32_t)b[1] << 16 | (uint32_t)b[2] << 8 | b[3];
    g->Data2 = (uint16_t)(b[4] << 8 | b[5]);
    g->Data3 = (uint16_t)(b[6] << 8 | b[7]);
    memcpy(g->Data4, b + 8, 8);
    return true;
}

/* ---- base64 ------------------------------------------------------------- */
static const char B64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

static char *base64(const BYTE *p, ULONG n)
{
    char *o = ntcp_malloc(((size_t)n + 2) / 3 * 4 + 1), *q = o;
    if (!o) return NULL;
    for (ULONG i = 0; i < n; i += 3) {
        unsigned v = (unsigned)p[i] << 16 | (i + 1 < n ? (unsigned)p[i + 1] << 8 : 0) | (i + 2 < n ? p[i + 2] : 0);
        *q++ = B64[v >> 18 & 63];
        *q++ = B64[v >> 12 & 63];
        *q++ = i + 1 < n ? B64[v >> 6 & 63] : '=';
        *q++ = i + 2 < n ? B64[v & 63] : '=';
    }
    *q = 0;
    return o;
}

static HRESULT parse_base64(const char *s, WS_HEAP *heap, WS_BYTES *out, WS_ERROR *error)
{
    size_t len = strlen(s);
    BYTE *mem = NULL;
    if (len) {
        HRESULT hr = WsAlloc(heap, len / 4 * 3 + 3, (void **)&mem, error);
        if (FAILED(hr)) return hr;
    }
    unsigned acc = 0;
    int bits = 0, pad = 0, chars = 0;
    ULONG n = 0;
    for (const char *p = s; *p; p++) {
        if (*p == ' ' || *p == '\t' || *p == '\r' || *p == '\n') continue;
        chars++;
        if (*p == '=') {
            if (++pad > 2) return bad(error, "base64 value", s);
            continue;
        }
        const char *c = strchr(B64, *p);
        if (!c || !*p || pad) return bad(error, "base64 value", s);
        acc = acc << 6 | (unsigned)(c - B64);
        bits += 6;
        if (bits >= 8) {
            bits -= 8;
            mem[n++] = (BYTE)(acc >> bits);
        }
    }
    if (chars % 4) return bad(error, "base64 value", s);
    out->length = n;
    out->bytes = n ? mem : NULL;
    return S_OK;
}

static char *float_text(double d, bool single)
{
    char tmp[48];
    if (isnan(d)) return ntcp_strndup("NaN", 3);
    if (isinf(d)) return d > 0 ? ntcp_strndup("INF", 3) : ntcp_strndup("-INF", 4);
    if (single) { /* .NET's "R" for a float: 7 significant digits, or 9 when 7 do not read back the same */
        snprintf(tmp, sizeof tmp, "%.7g", d);
        if (strtof(tmp, NULL) != (float)d) snprintf(tmp, sizeof tmp, "%.9g", d);
    } else {
        for (int prec = 1; prec <= 17; prec++) { /* the shortest text that reads back the same */
            snprintf(tmp, sizeof tmp, "%.*g", prec, d);
            if (strtod(tmp, NULL) == d) break;
        }
    }
    char *e = strchr(tmp, 'e'); /* .NET writes the exponent as E */
    if (e) *e = 'E';
    return ntcp_strndup(tmp, strlen(tmp));
}

/* ---- decimal: as .NET's invariant ToString (the scale's zeros kept) ---- */
typedef unsigned __int128 u128;
#define DEC_MAX (((u128)1 << 96) - 1)

static HRESULT decimal_text(const DECIMAL *d, char *out, size_t cap, WS_ERROR *error)
{
    if (d->scale > 28 || (d->sign & ~DECIMAL_NEG))
        return ntcp__wws_fail(error, E_INVALIDARG, NTCP_CAUSE_INVALID_ARGUMENT, "a DECIMAL with scale %u or sign 0x%x",
                              d->scale, d->sign);
    u128 v = (u128)d->Hi32 << 64 | d->Lo64;
    char digits[64];
    int n = 0;
    do {
        digits[n++] = (char)('0' + (int)(v % 10));
        v /= 10;
    } while (v);
    while (n <= d->scale) digits[n++] = '0'; /* at least one digit before the point */
    size_t k = 0;
    if (d->sign & DECIMAL_NEG) out[k++] = '-';
    for (int i = n - 1; i >= 0 && k + 2 < cap; i--) {
        out[k++] = digits[i];
        if (i == d->scale && i) out[k++] = '.';
    }
    out[k] = 0;
    return S_OK;
}

static HRESULT parse_decimal(const char *s, DECIMAL *d, WS_ERROR *error)
{
    const char *p = s;
    bool neg = *p == '-';
    if (*p == '-' || *p == '+') p++;
    u128 v = 0;
    int scale = 0, nd = 0;
    bool point = false;
    for (; *p; p++) {
        if (*p == '.' && !point) {
            point = true;
            continue;
        }
        if (*p < '0' || *p > '9') return bad(error, "decimal", s);
        v = v * 10 + (u128)(*p - '0');
        nd++;
        if (point) scale++;
        if (v > DEC_MAX)
            return ntcp__wws_fail(error, WS_E_NUMERIC_OVERFLOW, NTCP_CAUSE_PROTOCOL, "the decimal '%.64s' is out of range", s);
        if (scale > 28) return bad(error, "decimal (more than 28 decimal places)", s);
    }
    if (!nd) return bad(error, "decimal", s);
    memset(d, 0, sizeof *d);
    d->scale = (BYTE)scale;
    d->sign = neg ? DECIMAL_NEG : 0;
    d->Hi32 = (ULONG)(v >> 64);
    d->Lo64 = (ULONGLONG)v;
    return S_OK;
}

HRESULT ntcp__wws_type_text(WS_TYPE t, const void *desc, const void *v, char **out, WS_ERROR *error)
{
    char tmp[96];
    *out = NULL;
    switch (t) {
    case WS_FLOAT_TYPE: *out = float_text(*(const float *)v, true); break;
    case WS_DATETIME_TYPE: {
        HRESULT hr = datetime_text(v, tmp, sizeof tmp, error);
        if (FAILED(hr)) return hr;
        *out = ntcp_strndup(tmp, strlen(tmp));
        break;
    }
    case WS_DECIMAL_TYPE: {
        HRESULT hr = decimal_text(v, tmp, sizeof tmp, error);
        if (FAILED(hr)) return hr;
        *out = ntcp_strndup(tmp, strlen(tmp));
        break;
    }
    case WS_TIMESPAN_TYPE:
        timespan_text(((const WS_TIMESPAN *)v)->ticks, tmp, sizeof tmp);
        *out = ntcp_strndup(tmp, strlen(tmp));
        break;
    case WS_GUID_TYPE:
        guid_text(v, tmp, sizeof tmp);
        *out = ntcp_strndup(tmp, strlen(tmp));
        break;
    case WS_UNIQUE_ID_TYPE: {
        const WS_UNIQUE_ID *u = v;
        if (u->uri.length) {
            if (!(*out = ntcp__wws_to_utf8(u->uri.chars, u->uri.length)))
                return ntcp__wws_fail(error, E_INVALIDARG, NTCP_CAUSE_INVALID_ARGUMENT, "the unique id's URI is not valid");
            return S_OK;
        }
        memcpy(tmp, "urn:uuid:", 9);
        guid_text(&u->guid, tmp + 9, sizeof tmp - 9);
        *out = ntcp_strndup(tmp, strlen(tmp));
        break;
    }
    case WS_BYTES_TYPE: {
        const WS_BYTES *b = v;
        if (b->length && !b->bytes)
            return ntcp__wws_fail(error, E_INVALIDARG, NTCP_CAUSE_INVALID_ARGUMENT, "WS_BYTES of %u bytes and no pointer",
                                  (unsigned)b->length);
        *out = base64(b->bytes, b->length);
        break;
    }
    case WS_XML_STRING_TYPE: {
        const WS_XML_STRING *x = v;
        if (x->length && !x->bytes)
            return ntcp__wws_fail(error, E_INVALIDARG, NTCP_CAUSE_INVALID_ARGUMENT, "a WS_XML_STRING without its bytes");
        *out = ntcp_strndup(x->length ? (const char *)x->bytes : "", x->length);
        break;
    }
    case WS_ENUM_TYPE: {
        const WS_ENUM_DESCRIPTION *ed = desc;
        if (!ed || (ed->valueCount && !ed->values))
            return ntcp__wws_fail(error, E_INVALIDARG, NTCP_CAUSE_INVALID_ARGUMENT, "an enum without its description");
        int iv = *(const int *)v;
        for (ULONG i = 0; i < ed->valueCount; i++)
            if (ed->values[i].value == iv && ed->values[i].name) {
                *out = ntcp__wws_xml_str(ed->values[i].name);
                break;
            }
        if (!*out && ed->valueCount) {
            bool found = false;
            for (ULONG i = 0; i < ed->valueCount; i++) found |= ed->values[i].value == iv;
            if (!found)
                return ntcp__wws_fail(error, E_INVALIDARG, NTCP_CAUSE_INVALID_ARGUMENT,
                                      "the enum value %d is not in its description", iv);
        } else if (!*out)
            return ntcp__wws_fail(error, E_INVALIDARG, NTCP_CAUSE_INVALID_ARGUMENT,
                                  "the enum value %d is not in its description", iv);
        break;
    }
    default:
        return ntcp__wws_fail(error, E_NOTIMPL, NTCP_CAUSE_UNSUPPORTED,
                              "WS_TYPE %d in a message body is not implemented yet (the serializer: docs/wwsapi.md)",
                              (int)t);
    }
    if (!*out) return ntcp__wws_fail(error, E_OUTOFMEMORY, NTCP_CAUSE_OUT_OF_MEMORY, "out of memory");
    return S_OK;
}

static const char *trimmed(const char *s, char *buf, size_t cap)
{
    while (*s == ' ' || *s == '\t' || *s == '\n' || *s == '\r') s++;
    size_t n = strlen(s);
    while (n && (s[n - 1] == ' ' || s[n - 1] == '\t' || s[n - 1] == '\n' || s[n - 1] == '\r')) n--;
    if (n >= cap) { /* longer than any valid value: keep it invalid */
        s = "?";
        n = 1;
    }
    memcpy(buf, s, n);
    buf[n] = 0;
    return buf;
}

HRESULT ntcp__wws_type_parse(const char *text, WS_TYPE t, const void *desc, WS_HEAP *heap, void *dst, WS_ERROR *error)
{
    char buf[128];
    switch (t) {
    case WS_FLOAT_TYPE: {
        const char *s = trimmed(text, buf, sizeof buf);
        float f;
        char *end = NULL;
        errno = 0;
        if (!strcmp(s, "INF")) f = INFINITY;
        else if (!strcmp(s, "-INF")) f = -INFINITY;
        else if (!strcmp(s, "NaN")) f = NAN;
        else {
            f = strtof(s, &end);
            if (!*s || *end || isalpha((unsigned char)s[*s == '-' || *s == '+']) || strpbrk(s, "xX"))
                return bad(error, "float", s);
            if (errno == ERANGE && isinf(f))
                return ntcp__wws_fail(error, WS_E_NUMERIC_OVERFLOW, NTCP_CAUSE_PROTOCOL, "the float '%s' is out of range", s);
        }
        *(float *)dst = f;
        return S_OK;
    }
    case WS_DECIMAL_TYPE: return parse_decimal(trimmed(text, buf, sizeof buf), dst, error);
    case WS_DATETIME_TYPE: return parse_datetime(trimmed(text, buf, sizeof buf), dst, error);
    case WS_TIMESPAN_TYPE: return parse_timespan(trimmed(text, buf, sizeof buf), &((WS_TIMESPAN *)dst)->ticks, error);
    case WS_GUID_TYPE: {
        const char *s = trimmed(text, buf, sizeof buf);
        return parse_guid(s, dst) ? S_OK : bad(error, "GUID", s);
    }
    case WS_UNIQUE_ID_TYPE: {
        WS_UNIQUE_ID *u = dst;
        memset(u, 0, sizeof *u);
        const char *s = trimmed(text, buf, sizeof buf);
        if (!strncmp(s, "urn:uuid:", 9) && parse_guid(s + 9, &u->guid)) return S_OK;
        if (!*s) return bad(error, "unique id", s);
        ULONG n;
        WCHAR *w = ntcp__wws_from_utf8(text, strlen(text), &n);
        if (!w) return ntcp__wws_fail(error, E_OUTOFMEMORY, NTCP_CAUSE_OUT_OF_MEMORY, "out of memory");
        HRESULT hr = WsAlloc(heap, (size_t)n * sizeof(WCHAR) + sizeof(WCHAR), (void **)&u->uri.chars, error);
        if (SUCCEEDED(hr)) {
            memcpy(u->uri.chars, w, (size_t)n * sizeof(WCHAR));
            u->uri.length = n;
        }
        ntcp_free(w);
        return hr;
    }
    case WS_BYTES_TYPE: return parse_base64(text, heap, dst, error);
    case WS_XML_STRING_TYPE: {
        WS_XML_STRING *x = dst;
        memset(x, 0, sizeof *x);
        size_t n = strlen(text);
        if (!n) return S_OK;
        HRESULT hr = WsAlloc(heap, n, (void **)&x->bytes, error);
        if (FAILED(hr)) return hr;
        memcpy(x->bytes, text, n);
        x->length = (ULONG)n;
        return S_OK;
    }
    case WS_ENUM_TYPE: {
        const WS_ENUM_DESCRIPTION *ed = desc;
        if (!ed || (ed->valueCount && !ed->values))
            return ntcp__wws_fail(error, E_INVALIDARG, NTCP_CAUSE_INVALID_ARGUMENT, "an enum without its description");
        const char *s = trimmed(text, buf, sizeof buf);
        size_t n = strlen(s);
        for (ULONG i = 0; i < ed->valueCount; i++) {
            const WS_XML_STRING *nm = ed->values[i].name;
            if (nm && nm->length == n && !memcmp(nm->bytes, s, n)) {
                *(int *)dst = ed->values[i].value;
                return S_OK;
            }
        }
        return bad(error, "value of the enum", s);
    }
    default:
        return ntcp__wws_fail(error, E_NOTIMPL, NTCP_CAUSE_UNSUPPORTED,
                              "WS_TYPE %d is not implemented yet by the serializer (docs/wwsapi.md)", (int)t);
    }
}
