/* Internal: the MC-NBFS static dictionary (dict_static.c) and lookups. */
#ifndef NTCP_XML_DICT_H
#define NTCP_XML_DICT_H
#include <stddef.h>
#include <stdint.h>

#define NTCP_XML_STATIC_DICT_COUNT 487

typedef struct ntcp_xml_dict_entry {
    const char *s;
    uint32_t len;
} ntcp_xml_dict_entry;

extern const ntcp_xml_dict_entry ntcp_xml_static_dict[NTCP_XML_STATIC_DICT_COUNT];
extern const uint16_t ntcp_xml_static_dict_sorted[NTCP_XML_STATIC_DICT_COUNT];

#endif
