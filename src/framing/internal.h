#ifndef NTCP_FRAMING_INTERNAL_H
#define NTCP_FRAMING_INTERNAL_H
#include <nettcp/framing.h>
/* Used by the session state machine. */
void ntcp_nmf__decoder_reset(ntcp_nmf_decoder *d);
void ntcp_nmf__decoder_set_mode(ntcp_nmf_decoder *d, int mode);
#endif
