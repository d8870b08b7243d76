#include <nettcp/status.h>

#define ROW_NAME(id, val, name, cat, desc, adv) case id: return name;
#define ROW_DESC(id, val, name, cat, desc, adv) case id: return desc;
#define ROW_ADV(id, val, name, cat, desc, adv) case id: return adv;
#define ROW_CAT(id, val, name, cat, desc, adv) case id: return cat;

const char *ntcp_status_name(int s)
{
    switch (s) { NTCP_STATUS_LIST(ROW_NAME) }
    return "unknown_status";
}

const char *ntcp_status_str(int s)
{
    switch (s) { NTCP_STATUS_LIST(ROW_DESC) }
    return "unknown status";
}

const char *ntcp_status_advice(int s)
{
    switch (s) { NTCP_STATUS_LIST(ROW_ADV) }
    return "";
}

ntcp_category ntcp_status_category(int s)
{
    switch (s) { NTCP_STATUS_LIST(ROW_CAT) }
    return NTCP_CAT_NONE;
}

const char *ntcp_category_name(ntcp_category c)
{
    static const char *const names[] = { "none", "usage", "resource", "io", "timeout",
                                         "protocol", "security", "fault", "quota" };
    return (unsigned)c < sizeof names / sizeof names[0] ? names[c] : "unknown";
}
