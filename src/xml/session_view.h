/* A frozen, read-only view of a session dictionary (private; see session.c). */
#ifndef NETTCP_XML_SESSION_VIEW_H
#define NETTCP_XML_SESSION_VIEW_H
#include <nettcp/xml.h>
NTCP_MUST_CHECK ntcp_status ntcp__xml_session_view(ntcp_xml_session **view, const ntcp_xml_session *s);
#endif
