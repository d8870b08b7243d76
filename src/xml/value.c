/* Text rendering of typed NBFX values, following what .NET's
 * XmlDictionaryReader.ReadContentAsString produces (XmlConvert.ToString of
 * the value). Choices where .NET depends on the machine are documented in
 * xml.h (local DateTime offset) and docs/protocols-notes.md. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "xml/internal.h"

#define TICKS_PER_SECOND 10000000LL
#define TICKS_PER_DAY 864000000000LL
#define MAX_TICKS 3155378975999999999LL /* DateTime.MaxValue.Ticks */
#define TICKS_CEILING 0x4000000000000000LL

static ntcp_status put_str(ntcp_buf *out, const char *s) { return ntcp_buf_append(out, s, strlen(s)); }

static ntcp_status put_i64(ntcp_buf *out, int64_t v)
{
    char b[24];
    int n = snprintf(b, sizeof b, "%lld", (long long)v);
    return ntcp_buf_append(out, b, (size_t)n);
}

static ntcp_status put_u64(ntcp_buf *out, uint64_t v)
{
    char b[24];
    int n = snprintf(b, sizeof b, "%llu", (unsigned long long)v);
    return ntcp_buf_append(out, b, (size_t)n);
}

/* Shortest round-trip digits of a finite non-zero value: digits into d (no
 * trailing zeros), decimal exponent of the first digit into *e. */
static int shortest_digits(double x, bool is_float, char *d, int *e)
{
    char tmp[40];
    int maxp = is_float ? 9 : 17;
    for (int p = 1; p <= maxp; p++) {
        snprintf(tmp, sizeof tmp, "%.*e", p - 1, x);
        bool ok = is_float ? strtof(tmp, NULL) == (float)x : strtod(tmp, NULL) == x;
        if (ok || p == maxp)
            break;
    }
    /* tmp = [-]d[.ddd]e[+-]xx */
    const char *s = tmp;
    if (*s == '-')
        s++;
    int n = 0;
    for (; *s && *s != 'e'; s++)
        if (*s != '.')
            d[n++] = *s;
    *e = atoi(s + 1);
    while (n > 1 && d[n - 1] == '0')
        n--;
    d[n] = 0;
    return n;
}

/* .NET Core 3.0+ double/float ToString("R"): shortest round-trip digits,
 * scientific when the decimal point position is beyond max(digits, 17) (9
 * for float: the round-trip precisions) or before -3, exponent "E+XX"/"E-XX"
 * with at least 2 digits. */
static ntcp_status put_real(ntcp_buf *out, double x, bool is_float)
{
    if (isnan(x))
        return put_str(out, "NaN");
    if (isinf(x))
        return put_str(out, x < 0 ? "-INF" : "INF");
    if (x == 0)
        return put_str(out, signbit(x) ? "-0" : "0");
    char d[24], b[64];
    int e, n = shortest_digits(x, is_float, d, &e), k = 0;
    int scale = e + 1, maxd = n > (is_float ? 9 : 17) ? n : (is_float ? 9 : 17);
    if (x < 0)
        b[k++] = '-';
    if (scale > maxd || scale < -3) {
        b[k++] = d[0];
        if (n > 1) {
            b[k++] = '.';
            memcpy(b + k, d + 1, (size_t)n - 1);
            k += n - 1;
        }
        k += snprintf(b + k, sizeof b - (size_t)k, "E%c%02d", e < 0 ? '-' : '+', e < 0 ? -e : e);
    } else if (scale <= 0) {
        b[k++] = '0';
        b[k++] = '.';
        for (int i = 0; i < -scale; i++)
            b[k++] = '0';
        memcpy(b + k, d, (size_t)n);
        k += n;
    } else if (scale >= n) {
        memcpy(b + k, d, (size_t)n);
        k += n;
        for (int i = n; i < scale; i++)
            b[k++] = '0';
    } else {
        memcpy(b + k, d, (size_t)scale);
        k += scale;
        b[k++] = '.';
        memcpy(b + k, d + scale, (size_t)(n - scale));
        k += n - scale;
    }
    return ntcp_buf_append(out, b, (size_t)k);
}

/* System.Decimal: 96-bit magnitude / 10^scale, printed with exactly `scale`
 * fraction digits (1.50m -> "1.50"). MC-NBFX 2.2.3.13. */
static ntcp_status put_decimal(ntcp_buf *out, const uint8_t raw[16])
{
    unsigned scale = raw[2];
    if (raw[0] || raw[1] || scale > 28 || (raw[3] & 0x7F))
        return NTCP_E_MALFORMED;
    bool neg = raw[3] & 0x80;
    uint32_t hi = (uint32_t)raw[4] | (uint32_t)raw[5] << 8 | (uint32_t)raw[6] << 16 | (uint32_t)raw[7] << 24;
    uint64_t lo = 0;
    for (int i = 15; i >= 8; i--)
        lo = lo << 8 | raw[i];
    unsigned __int128 m = (unsigned __int128)hi << 64 | lo;
    char dig[40];
    int n = 0;
    do {
        dig[n++] = (char)('0' + (int)(m % 10));
        m /= 10;
    } while (m);
    while (n <= (int)scale)
        dig[n++] = '0';
    char b[48];
    int k = 0;
    bool zero = true;
    for (int i = 0; i < n; i++)
        if (dig[i] != '0')
            zero = false;
    if (neg && !zero)
        b[k++] = '-';
    for (int i = n - 1; i >= 0; i--) {
        b[k++] = dig[i];
        if (i == (int)scale && scale > 0)
            b[k++] = '.';
    }
    return ntcp_buf_append(out, b, (size_t)k);
}

/* days since 0001-01-01 -> civil date (proleptic Gregorian) */
static void civil(int64_t days, int *y, int *m, int *d)
{
    int64_t z = days - 719162 + 719468; /* shift to days since 0000-03-01 */
    int64_t era = (z >= 0 ? z : z - 146096) / 146097;
    int64_t doe = z - era * 146097;
    int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    int64_t mp = (5 * doy + 2) / 153;
    *d = (int)(doy - (153 * mp + 2) / 5 + 1);
    *m = (int)(mp < 10 ? mp + 3 : mp - 9);
    *y = (int)(yoe + era * 400 + (*m <= 2));
}

/* XmlConvert.ToString(DateTime, RoundtripKind): yyyy-MM-ddTHH:mm:ss[.FFFFFFF]
 * then "Z" (UTC), "+hh:mm" (local), nothing (unspecified). MC-NBFX 2.2.3.14. */
static ntcp_status put_datetime(ntcp_buf *out, uint64_t bin, int local_offset_minutes)
{
    unsigned kind = (unsigned)(bin >> 62);
    int64_t ticks = (int64_t)(bin & 0x3FFFFFFFFFFFFFFFULL);
    if (kind >= 2) {
        /* DateTime.ToBinary stored the UTC instant; wrap as FromBinary does */
        if (ticks > TICKS_CEILING - TICKS_PER_DAY)
            ticks -= TICKS_CEILING;
        ticks += (int64_t)local_offset_minutes * 60 * TICKS_PER_SECOND;
    }
    if (ticks < 0 || ticks > MAX_TICKS)
        return NTCP_E_MALFORMED;
    int y, mo, d;
    civil(ticks / TICKS_PER_DAY, &y, &mo, &d);
    int64_t t = ticks % TICKS_PER_DAY;
    int hh = (int)(t / (3600 * TICKS_PER_SECOND)), mi = (int)(t / (60 * TICKS_PER_SECOND) % 60),
        ss = (int)(t / TICKS_PER_SECOND % 60);
    int frac = (int)(t % TICKS_PER_SECOND);
    char b[48];
    int k = snprintf(b, sizeof b, "%04d-%02d-%02dT%02d:%02d:%02d", y, mo, d, hh, mi, ss);
    if (frac) {
        k += snprintf(b + k, sizeof b - (size_t)k, ".%07d", frac);
        while (b[k - 1] == '0')
            k--;
    }
    if (kind == 1)
        b[k++] = 'Z';
    else if (kind >= 2) {
        int o = local_offset_minutes < 0 ? -local_offset_minutes : local_offset_minutes;
        k += snprintf(b + k, sizeof b - (size_t)k, "%c%02d:%02d", local_offset_minutes < 0 ? '-' : '+', o / 60,
                      o % 60);
    }
    return ntcp_buf_append(out, b, (size_t)k);
}

/* XmlConvert.ToString(TimeSpan): xs:duration, e.g. "PT1H", "-P1DT2M0.5S",
 * zero is "PT0S". MC-NBFX 2.2.3.26. */
static ntcp_status put_timespan(ntcp_buf *out, int64_t ticks)
{
    char b[64];
    int k = 0;
    uint64_t t = ticks < 0 ? (uint64_t)0 - (uint64_t)ticks : (uint64_t)ticks;
    if (ticks < 0)
        b[k++] = '-';
    b[k++] = 'P';
    uint64_t days = t / TICKS_PER_DAY, rem = t % TICKS_PER_DAY;
    unsigned hh = (unsigned)(rem / (3600 * TICKS_PER_SECOND)), mi = (unsigned)(rem / (60 * TICKS_PER_SECOND) % 60),
             ss = (unsigned)(rem / TICKS_PER_SECOND % 60);
    unsigned ns = (unsigned)(rem % TICKS_PER_SECOND) * 100;
    if (days)
        k += snprintf(b + k, sizeof b - (size_t)k, "%lluD", (unsigned long long)days);
    if (hh || mi || ss || ns) {
        b[k++] = 'T';
        if (hh)
            k += snprintf(b + k, sizeof b - (size_t)k, "%uH", hh);
        if (mi)
            k += snprintf(b + k, sizeof b - (size_t)k, "%uM", mi);
        if (ss || ns) {
            k += snprintf(b + k, sizeof b - (size_t)k, "%u", ss);
            if (ns) {
                k += snprintf(b + k, sizeof b - (size_t)k, ".%09u", ns);
                while (b[k - 1] == '0')
                    k--;
            }
            b[k++] = 'S';
        }
    }
    if (b[k - 1] == 'P') {
        memcpy(b + k, "T0S", 3);
        k += 3;
    }
    return ntcp_buf_append(out, b, (size_t)k);
}

/* .NET Guid.ToString(): first three fields little-endian, lowercase. */
static ntcp_status put_guid(ntcp_buf *out, const uint8_t g[16])
{
    static const int order[16] = { 3, 2, 1, 0, 5, 4, 7, 6, 8, 9, 10, 11, 12, 13, 14, 15 };
    static const char hx[] = "0123456789abcdef";
    char b[36];
    int k = 0;
    for (int i = 0; i < 16; i++) {
        if (i == 4 || i == 6 || i == 8 || i == 10)
            b[k++] = '-';
        b[k++] = hx[g[order[i]] >> 4];
        b[k++] = hx[g[order[i]] & 15];
    }
    return ntcp_buf_append(out, b, 36);
}

static ntcp_status put_base64(ntcp_buf *out, const uint8_t *p, size_t n)
{
    static const char t[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    if (n == 0)
        return NTCP_OK;
    ntcp_status st = ntcp_buf_reserve(out, (n + 2) / 3 * 4);
    if (st)
        return st;
    char *o = (char *)out->data + out->len;
    size_t i = 0, k = 0;
    for (; i + 3 <= n; i += 3) {
        uint32_t v = (uint32_t)p[i] << 16 | (uint32_t)p[i + 1] << 8 | p[i + 2];
        o[k++] = t[v >> 18];
        o[k++] = t[v >> 12 & 63];
        o[k++] = t[v >> 6 & 63];
        o[k++] = t[v & 63];
    }
    if (n - i == 1) {
        uint32_t v = (uint32_t)p[i] << 16;
        o[k++] = t[v >> 18];
        o[k++] = t[v >> 12 & 63];
        o[k++] = '=';
        o[k++] = '=';
    } else if (n - i == 2) {
        uint32_t v = (uint32_t)p[i] << 16 | (uint32_t)p[i + 1] << 8;
        o[k++] = t[v >> 18];
        o[k++] = t[v >> 12 & 63];
        o[k++] = t[v >> 6 & 63];
        o[k++] = '=';
    }
    out->len += k;
    return NTCP_OK;
}

/* UTF-16LE -> UTF-8; unpaired surrogates become U+FFFD as .NET's decoder does. */
static ntcp_status put_utf16(ntcp_buf *out, const uint8_t *p, size_t n)
{
    ntcp_status st = ntcp_buf_reserve(out, n / 2 * 3);
    for (size_t i = 0; st == NTCP_OK && i + 1 < n; i += 2) {
        uint32_t c = (uint32_t)p[i] | (uint32_t)p[i + 1] << 8;
        if (c >= 0xD800 && c < 0xDC00 && i + 3 < n) {
            uint32_t c2 = (uint32_t)p[i + 2] | (uint32_t)p[i + 3] << 8;
            if (c2 >= 0xDC00 && c2 < 0xE000) {
                c = 0x10000 + ((c - 0xD800) << 10) + (c2 - 0xDC00);
                i += 2;
            } else
                c = 0xFFFD;
        } else if (c >= 0xD800 && c < 0xE000)
            c = 0xFFFD;
        uint8_t b[4];
        size_t k;
        if (c < 0x80) {
            b[0] = (uint8_t)c;
            k = 1;
        } else if (c < 0x800) {
            b[0] = (uint8_t)(0xC0 | c >> 6);
            b[1] = (uint8_t)(0x80 | (c & 63));
            k = 2;
        } else if (c < 0x10000) {
            b[0] = (uint8_t)(0xE0 | c >> 12);
            b[1] = (uint8_t)(0x80 | (c >> 6 & 63));
            b[2] = (uint8_t)(0x80 | (c & 63));
            k = 3;
        } else {
            b[0] = (uint8_t)(0xF0 | c >> 18);
            b[1] = (uint8_t)(0x80 | (c >> 12 & 63));
            b[2] = (uint8_t)(0x80 | (c >> 6 & 63));
            b[3] = (uint8_t)(0x80 | (c & 63));
            k = 4;
        }
        st = ntcp_buf_append(out, b, k);
    }
    return st;
}

ntcp_status ntcp_xml__format(const ntcp_xml_value *v, const ntcp_xml_format_options *opt,
                             const ntcp_xml_session *s, ntcp_buf *out)
{
    int off = opt ? opt->local_offset_minutes : 0;
    switch (v->type) {
    case NTCP_XV_NONE:
    case NTCP_XV_EMPTY:
        return NTCP_OK;
    case NTCP_XV_CHARS:
    case NTCP_XV_DICT:
        return ntcp_buf_append(out, v->s.p, v->s.len);
    case NTCP_XV_UTF16:
        return put_utf16(out, (const uint8_t *)v->s.p, v->s.len);
    case NTCP_XV_BYTES:
        return put_base64(out, (const uint8_t *)v->s.p, v->s.len);
    case NTCP_XV_BOOL:
        return put_str(out, v->u.i ? "true" : "false");
    case NTCP_XV_INT:
        return put_i64(out, v->u.i);
    case NTCP_XV_UINT64:
        return put_u64(out, v->u.u);
    case NTCP_XV_FLOAT:
        return put_real(out, v->u.f, true);
    case NTCP_XV_DOUBLE:
        return put_real(out, v->u.d, false);
    case NTCP_XV_DECIMAL:
        return put_decimal(out, v->u.raw);
    case NTCP_XV_DATETIME:
        return put_datetime(out, v->u.u, off);
    case NTCP_XV_TIMESPAN:
        return put_timespan(out, v->u.i);
    case NTCP_XV_UUID:
        return put_guid(out, v->u.raw);
    case NTCP_XV_UNIQUEID: {
        ntcp_status st = put_str(out, "urn:uuid:");
        return st ? st : put_guid(out, v->u.raw);
    }
    case NTCP_XV_QNAME: {
        if (v->u.i < 0 || v->u.i > 25)
            return NTCP_E_MALFORMED;
        char pfx[2] = { (char)('a' + v->u.i), ':' };
        ntcp_status st = ntcp_buf_append(out, pfx, 2);
        return st ? st : ntcp_buf_append(out, v->s.p, v->s.len);
    }
    case NTCP_XV_LIST: {
        /* MC-NBFX 2.2.3.20: items rendered separated by one space */
        ntcp_reader r;
        static const uint8_t none[1];
        ntcp_reader_init(&r, v->s.p ? (const uint8_t *)v->s.p : none, v->s.p ? v->s.len : 0);
        ntcp_xml_limits lim;
        ntcp_xml_limits_init(&lim);
        lim.max_string_len = UINT32_MAX;
        bool first = true;
        while (ntcp_reader_remaining(&r) > 0) {
            ntcp_xml_value item;
            bool we;
            ntcp_xml__read_text(&r, ntcp_read_u8(&r), s, &lim, &item, &we);
            if (!ntcp_reader_ok(&r))
                return r.err;
            ntcp_status st = first ? NTCP_OK : ntcp_buf_put_u8(out, ' ');
            if (!st)
                st = ntcp_xml__format(&item, opt, s, out);
            if (st)
                return st;
            first = false;
        }
        return NTCP_OK;
    }
    }
    return NTCP_E_INVALID_ARG;
}

ntcp_status ntcp_xml_value_format(const ntcp_xml_value *v, const ntcp_xml_format_options *opt, ntcp_buf *out)
{
    if (!v || !out)
        return NTCP_E_INVALID_ARG;
    return ntcp_xml__format(v, opt, NULL, out);
}
