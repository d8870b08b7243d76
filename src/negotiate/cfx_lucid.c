/* Hands an established MIT Kerberos context to the OpenSSL fast path
 * (cfx.h). The key and the sequence numbers come from MIT's lucid context,
 * asked for with gss_inquire_sec_context_by_oid rather than
 * gss_krb5_export_lucid_sec_context: that wrapper deletes the GSS context
 * after the export (krb5_gss_glue.c), while the inquiry itself only copies
 * the keys out (lucid_context.c), so the context stays whole for everything
 * else (names, flags, delegated credentials, deletion). Works through
 * SPNEGO, which forwards the inquiry to the negotiated mechanism. */
#include <string.h>
#include <gssapi/gssapi.h>
#include <gssapi/gssapi_ext.h>
#include <gssapi/gssapi_krb5.h>
#include "negotiate/cfx.h"

_Static_assert(NTCP_CFX_BAD_SIG == GSS_S_BAD_SIG && NTCP_CFX_DEFECTIVE_TOKEN == GSS_S_DEFECTIVE_TOKEN &&
                   NTCP_CFX_FAILURE == GSS_S_FAILURE && NTCP_CFX_DUPLICATE_TOKEN == GSS_S_DUPLICATE_TOKEN &&
                   NTCP_CFX_OLD_TOKEN == GSS_S_OLD_TOKEN && NTCP_CFX_UNSEQ_TOKEN == GSS_S_UNSEQ_TOKEN &&
                   NTCP_CFX_GAP_TOKEN == GSS_S_GAP_TOKEN,
               "cfx.h status words are GSS major codes");

/* GSS_KRB5_EXPORT_LUCID_SEC_CONTEXT_OID (1.2.840.113554.1.2.2.5.6) + version 1 */
static gss_OID_desc lucid_v1_oid = { 12, (void *)"\x2a\x86\x48\x86\xf7\x12\x01\x02\x02\x05\x06\x01" };

ntcp_status ntcp_cfx_from_gss(void *gss_ctx, uint32_t ctx_flags, ntcp_cfx **out)
{
    OM_uint32 minor, m2;
    gss_buffer_set_t set = GSS_C_NO_BUFFER_SET;
    *out = NULL;
    if (GSS_ERROR(gss_inquire_sec_context_by_oid(&minor, (gss_ctx_id_t)gss_ctx, &lucid_v1_oid, &set)) || !set)
        return NTCP_E_UNSUPPORTED;
    void *lp = NULL;
    if (set->count == 1 && set->elements[0].length == sizeof lp)
        memcpy(&lp, set->elements[0].value, sizeof lp);
    gss_release_buffer_set(&m2, &set);
    if (!lp)
        return NTCP_E_UNSUPPORTED;
    gss_krb5_lucid_context_v1_t *l = lp;
    ntcp_status s = NTCP_E_UNSUPPORTED;
    if (l->version == 1 && l->protocol == 1) {
        ntcp_cfx_params p;
        memset(&p, 0, sizeof p);
        p.initiator = l->initiate != 0;
        p.ctx_key_type = (int32_t)l->cfx_kd.ctx_key.type;
        p.ctx_key = l->cfx_kd.ctx_key.data;
        p.ctx_key_len = l->cfx_kd.ctx_key.length;
        p.have_acceptor_subkey = l->cfx_kd.have_acceptor_subkey != 0;
        if (p.have_acceptor_subkey) {
            p.acceptor_subkey_type = (int32_t)l->cfx_kd.acceptor_subkey.type;
            p.acceptor_subkey = l->cfx_kd.acceptor_subkey.data;
            p.acceptor_subkey_len = l->cfx_kd.acceptor_subkey.length;
        }
        p.send_seq = l->send_seq;
        p.recv_seq = l->recv_seq;
        p.do_replay = (ctx_flags & GSS_C_REPLAY_FLAG) != 0;
        p.do_sequence = (ctx_flags & GSS_C_SEQUENCE_FLAG) != 0;
        if (ntcp_cfx_enctype_supported(p.ctx_key_type) &&
            (!p.have_acceptor_subkey || ntcp_cfx_enctype_supported(p.acceptor_subkey_type)))
            s = ntcp_cfx_new(out, &p);
    }
    gss_krb5_free_lucid_sec_context(&m2, lp); /* zeroes the keys */
    return s;
}
