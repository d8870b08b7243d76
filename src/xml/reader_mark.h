/* A reader's place in its document, to come back to (private: src/soap
 * reads a Body's content again without reading the headers again). */
#ifndef NTCP_XML_READER_MARK_H
#define NTCP_XML_READER_MARK_H
#include <nettcp/xml.h>
#include "util/reader.h"

typedef struct ntcp__xml_mark {
    ntcp_reader r;
    uint32_t depth;
    bool pending_end, seen_root, fragment;
    ntcp_xml_name stack[4];
} ntcp__xml_mark;

/* False (nothing marked) when the reader is deeper than the mark holds. */
bool ntcp__xml_reader_mark(const ntcp_xml_reader *x, ntcp__xml_mark *m);
/* Back to the mark, taken on the same reader in the same document. */
void ntcp__xml_reader_restore(ntcp_xml_reader *x, const ntcp__xml_mark *m);
#endif
