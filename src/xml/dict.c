/* MC-NBFS static dictionary lookups: id -> string by index, string -> id by
 * binary search over the generated sorted index. */
#include <string.h>
#include <nettcp/xml.h>
#include "xml/dict.h"

const char *ntcp_xml_static_string(uint32_t key, uint32_t *len)
{
    /* MC-NBFX 2.1.3: even keys are static, string key/2 */
    if (key & 1 || key / 2 >= NTCP_XML_STATIC_DICT_COUNT)
        return NULL;
    const ntcp_xml_dict_entry *e = &ntcp_xml_static_dict[key / 2];
    if (len)
        *len = e->len;
    return e->s;
}

static int cmp_entry(const char *s, size_t len, const ntcp_xml_dict_entry *e)
{
    if (len != e->len)
        return len < e->len ? -1 : 1;
    return memcmp(s, e->s, len);
}

int32_t ntcp_xml_static_key(const char *s, size_t len)
{
    size_t lo = 0, hi = NTCP_XML_STATIC_DICT_COUNT;
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        uint16_t idx = ntcp_xml_static_dict_sorted[mid];
        int c = cmp_entry(s, len, &ntcp_xml_static_dict[idx]);
        if (c == 0)
            return (int32_t)idx * 2;
        if (c < 0)
            hi = mid;
        else
            lo = mid + 1;
    }
    return -1;
}
