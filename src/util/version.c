/* The library's version (include/nettcp/nettcp.h). */
#include <nettcp/nettcp.h>

#define STR_(x) #x
#define STR(x) STR_(x)

const char *ntcp_version(void)
{
    return STR(NETTCP_VERSION_MAJOR) "." STR(NETTCP_VERSION_MINOR) "." STR(NETTCP_VERSION_PATCH);
}
