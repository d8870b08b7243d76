/* One session's XML state (see dialog.h). */
#include <string.h>
#include "channel/dialog.h"

/* What we send is bounded by the message size (64 MiB), not by reader
 * quotas: those are the receiver's to enforce. */
ntcp_status ntcp__dialog_init(ntcp__dialog *d)
{
    ntcp_xml_limits def;
    ntcp_xml_limits_init(&def);
    const uint32_t max_message = 64u << 20;
    ntcp_xml_writer_options wo;
    memset(&wo, 0, sizeof wo);
    wo.limits = def;
    wo.limits.max_size = max_message;
    wo.limits.max_string_len = max_message;
    wo.limits.max_array_len = max_message;
    wo.limits.max_name_chars = max_message;
    wo.limits.max_depth = 256;
    wo.session_policy = NTCP_XML_SESSION_DEFAULT;
    memset(d, 0, sizeof *d);
    if (ntcp_xml_session_new(&d->in, 0) || ntcp_xml_session_new(&d->out, 0) ||
        ntcp_xml_writer_new(&d->w, &wo, d->out)) {
        ntcp__dialog_clear(d);
        return NTCP_E_NOMEM;
    }
    return NTCP_OK;
}

void ntcp__dialog_clear(ntcp__dialog *d)
{
    ntcp_xml_writer_free(d->w);
    ntcp_xml_session_free(d->in);
    ntcp_xml_session_free(d->out);
    memset(d, 0, sizeof *d);
}
