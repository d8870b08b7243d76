/* MC-NBFS static dictionary lookups: id -> string by index, string -> id by
 * a hash table built from the generated list on first use. */
#include <pthread.h>
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

/* string -> key through an open-addressing table built once (the strings
 * are unique): a few instructions per lookup instead of a binary search */
#define SLOTS 2048u
static uint16_t slot[SLOTS]; /* index + 1, 0 = empty */
static pthread_once_t slot_once = PTHREAD_ONCE_INIT;

static uint32_t hash_str(const char *s, size_t len)
{
    /* FNV-1a over the length and the last (at most 8) bytes: they differ
     * most between the entries (namespace URIs share their start) */
    uint32_t h = 2166136261u ^ (uint32_t)len;
    for (size_t i = len > 8 ? len - 8 : 0; i < len; i++)
        h = (h ^ (uint8_t)s[i]) * 16777619u;
    return h ^ (h >> 15);
}

static void build_slots(void)
{
    for (uint32_t i = 0; i < NTCP_XML_STATIC_DICT_COUNT; i++) {
        const ntcp_xml_dict_entry *e = &ntcp_xml_static_dict[i];
        uint32_t h = hash_str(e->s, e->len) & (SLOTS - 1);
        while (slot[h])
            h = (h + 1) & (SLOTS - 1);
        slot[h] = (uint16_t)(i + 1);
    }
}

int32_t ntcp_xml_static_key(const char *s, size_t len)
{
    pthread_once(&slot_once, build_slots);
    for (uint32_t h = hash_str(s, len) & (SLOTS - 1);; h = (h + 1) & (SLOTS - 1)) {
        uint32_t i = slot[h];
        if (!i)
            return -1;
        const ntcp_xml_dict_entry *e = &ntcp_xml_static_dict[i - 1];
        if (e->len == len && !memcmp(e->s, s, len))
            return (int32_t)(i - 1) * 2;
    }
}
