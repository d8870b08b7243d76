/* A service's keytab, checked before it starts (src/channel/krbprobe.c). */
#ifndef NETTCP_KEYTAB_H
#define NETTCP_KEYTAB_H

#include <nettcp/error.h>

/* NTCP_OK when the keytab (NULL: KRB5_KTNAME or the default) can be read
 * and holds a key (for acceptor_name when given: "svc/host" matches any
 * realm). Otherwise NTCP_E_NO_CREDENTIALS with err's cause keytab_missing
 * or keytab_empty, naming the keytab. */
NTCP_MUST_CHECK ntcp_status ntcp__keytab_check(const char *keytab, const char *acceptor_name, ntcp_error *err);

#endif
