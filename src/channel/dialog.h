/* The XML state of one net.tcp session, shared by the client and the
 * service: both session dictionaries (MC-NBFSE, one per direction) and the
 * writer that fills the outgoing one. */
#ifndef NETTCP_DIALOG_H
#define NETTCP_DIALOG_H

#include <nettcp/xml.h>

typedef struct ntcp__dialog {
    ntcp_xml_session *in, *out;
    ntcp_xml_writer *w;
} ntcp__dialog;

/* Creates the three; on failure (NTCP_E_NOMEM) whatever was made is freed. */
NTCP_MUST_CHECK ntcp_status ntcp__dialog_init(ntcp__dialog *d);
void ntcp__dialog_clear(ntcp__dialog *d);

#endif
