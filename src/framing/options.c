/* The defaults of the framing layer's options (include/nettcp/framing.h). */
#include <string.h>
#include <nettcp/framing.h>

void ntcp_framing_limits_init(ntcp_framing_limits *l)
{
    memset(l, 0, sizeof *l);
    l->max_via = 2048;
    l->max_content_type = 256;
    l->max_fault = 256;
    l->max_message = 65536;
    l->max_drain = 65536;
    l->max_upgrades = 4;
}

void ntcp_framing_acceptor_config_init(ntcp_framing_acceptor_config *c)
{
    memset(c, 0, sizeof *c);
    c->modes = 1u << NTCP_MODE_DUPLEX;
    c->encodings = 1u << NTCP_ENC_BINARY_SESSION;
    c->fault_on_missing_upgrade = true;
}

void ntcp_framing_initiator_config_init(ntcp_framing_initiator_config *c)
{
    memset(c, 0, sizeof *c);
    c->mode = NTCP_MODE_DUPLEX;
    c->encoding = NTCP_ENC_BINARY_SESSION;
}
