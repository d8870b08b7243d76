/* nettcp WWSAPI — the Windows base types, error codes and SAL annotations
 * that webservices.h code expects, for a Linux compiler. Included by
 * webservices.h; skipped when a Windows SDK header already defined them. */
#ifndef NETTCP_WWS_COMPAT_H
#define NETTCP_WWS_COMPAT_H

#include <stddef.h>
#include <stdint.h>
#include <wchar.h>

#ifndef NETTCP_WWS_HAVE_WINDOWS_TYPES
#define NETTCP_WWS_HAVE_WINDOWS_TYPES
/* Windows' LP64 model: LONG and ULONG are 32 bits */
typedef int32_t HRESULT;
typedef int BOOL;
typedef uint8_t BYTE;
typedef uint16_t USHORT;
typedef uint16_t WORD;
typedef int16_t SHORT;
typedef int32_t LONG;
typedef uint32_t ULONG;
typedef uint32_t DWORD;
typedef int32_t INT;
typedef uint32_t UINT;
typedef int64_t LONGLONG;
typedef uint64_t ULONGLONG;
typedef size_t SIZE_T;
typedef char CHAR;
typedef wchar_t WCHAR; /* 4 bytes here: L"..." literals are WCHAR strings */
typedef WCHAR *LPWSTR;
typedef const WCHAR *LPCWSTR;
typedef void *HANDLE;
typedef USHORT LANGID;

typedef struct _GUID {
    uint32_t Data1;
    uint16_t Data2;
    uint16_t Data3;
    uint8_t Data4[8];
} GUID;

typedef struct _FILETIME {
    DWORD dwLowDateTime;
    DWORD dwHighDateTime;
} FILETIME;

typedef enum _SECURITY_IMPERSONATION_LEVEL {
    SecurityAnonymous = 0,
    SecurityIdentification = 1,
    SecurityImpersonation = 2,
    SecurityDelegation = 3
} SECURITY_IMPERSONATION_LEVEL;

#ifndef TRUE
#define TRUE 1
#endif
#ifndef FALSE
#define FALSE 0
#endif

#define CALLBACK
#define WINAPI
#define WINAPIV
#define CONST const

#define SUCCEEDED(hr) (((HRESULT)(hr)) >= 0)
#define FAILED(hr) (((HRESULT)(hr)) < 0)
#define HRESULT_FROM_WIN32(x) ((HRESULT)(x) <= 0 ? ((HRESULT)(x)) : ((HRESULT)(((x) & 0x0000FFFF) | (7 << 16) | 0x80000000)))

#define S_OK ((HRESULT)0)
#define S_FALSE ((HRESULT)1)
#define E_NOTIMPL ((HRESULT)0x80004001)
#define E_NOINTERFACE ((HRESULT)0x80004002)
#define E_POINTER ((HRESULT)0x80004003)
#define E_ABORT ((HRESULT)0x80004004)
#define E_FAIL ((HRESULT)0x80004005)
#define E_UNEXPECTED ((HRESULT)0x8000FFFF)
#define E_ACCESSDENIED ((HRESULT)0x80070005)
#define E_HANDLE ((HRESULT)0x80070006)
#define E_OUTOFMEMORY ((HRESULT)0x8007000E)
#define E_INVALIDARG ((HRESULT)0x80070057)
#define SEC_E_LOGON_DENIED ((HRESULT)0x8009030C)
#define SEC_E_TARGET_UNKNOWN ((HRESULT)0x80090303)
#define SEC_E_NO_CREDENTIALS ((HRESULT)0x8009030E)
#define SEC_E_TIME_SKEW ((HRESULT)0x80090324)
#define SEC_E_UNSUPPORTED_FUNCTION ((HRESULT)0x80090302)

/* SAL annotations: documentation only */
#define _In_
#define _In_opt_
#define _Out_
#define _Out_opt_
#define _Inout_
#define _Inout_opt_
#define _In_z_
#define _In_opt_z_
#define _Outptr_
#define _Outptr_opt_
#define _Outptr_result_maybenull_
#define _In_reads_(n)
#define _In_reads_opt_(n)
#define _In_reads_bytes_(n)
#define _In_reads_bytes_opt_(n)
#define _Out_writes_(n)
#define _Out_writes_bytes_(n)
#define _Out_writes_bytes_opt_(n)
#define _Out_writes_bytes_to_(n, m)
#define _Out_writes_to_(n, m)
#define _Field_size_(n)
#define _Field_size_opt_(n)
#define _Field_size_bytes_(n)
#define _Field_z_
#define _Pre_
#define _Post_
#define _Check_return_
#define _Success_(x)
#define _Ret_maybenull_
#endif /* NETTCP_WWS_HAVE_WINDOWS_TYPES */

#endif
