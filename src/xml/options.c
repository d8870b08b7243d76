/* The defaults of the XML layer's options (include/nettcp/xml.h). */
#include <string.h>
#include <nettcp/xml.h>

void ntcp_xml_limits_init(ntcp_xml_limits *l)
{
    memset(l, 0, sizeof *l);
    l->max_depth = 32;
    l->max_string_len = 8192;
    l->max_array_len = 16384;
    l->max_name_chars = 16384;
    l->max_attributes = 256;
    l->max_size = 65536;
    l->max_session_size = 2048;
}

void ntcp_xml_format_options_init(ntcp_xml_format_options *o) { memset(o, 0, sizeof *o); }

void ntcp_xml_writer_options_init(ntcp_xml_writer_options *o)
{
    memset(o, 0, sizeof *o);
    ntcp_xml_limits_init(&o->limits);
    o->session_policy = NTCP_XML_SESSION_DEFAULT;
}

void ntcp_xml_text_options_init(ntcp_xml_text_options *o)
{
    memset(o, 0, sizeof *o);
    o->indent = 2;
    ntcp_xml_limits_init(&o->limits);
}
