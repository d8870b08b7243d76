/* WWSAPI service host: creation checks, states, the shared port of port-0
 * endpoints, and the fault a service sets on its WS_ERROR. */
#include <stddef.h>
#include <string.h>
#include <wchar.h>
#include "test.h"
#include <nettcp/wws/webservices.h>
#include <nettcp/wws/nettcp_wws.h>

typedef struct One { int a; } One;
static WS_XML_STRING ns = WS_XML_STRING_VALUE("urn:t"), opName = WS_XML_STRING_VALUE("Op"),
                     opResponseName = WS_XML_STRING_VALUE("OpResponse"), aName = WS_XML_STRING_VALUE("a"),
                     opAction = WS_XML_STRING_VALUE("urn:t/Op"), opReplyAction = WS_XML_STRING_VALUE("urn:t/OpResponse");
static WS_FIELD_DESCRIPTION aField = { WS_ELEMENT_FIELD_MAPPING, &aName, &ns, WS_INT32_TYPE, NULL, offsetof(One, a), 0,
                                       NULL, 0, NULL, NULL, NULL };
static WS_FIELD_DESCRIPTION *fields[] = { &aField };
static WS_STRUCT_DESCRIPTION opType = { sizeof(One), _Alignof(One), fields, 1, &opName, &ns, NULL, NULL, 0, 0 };
static WS_STRUCT_DESCRIPTION opResponseType = { sizeof(One), _Alignof(One), fields, 1, &opResponseName, &ns, NULL, NULL, 0, 0 };
static WS_ELEMENT_DESCRIPTION opElement = { &opName, &ns, WS_STRUCT_TYPE, &opType };
static WS_ELEMENT_DESCRIPTION opResponseElement = { &opResponseName, &ns, WS_STRUCT_TYPE, &opResponseType };
static WS_MESSAGE_DESCRIPTION opIn = { &opAction, &opElement }, opOut = { &opReplyAction, &opResponseElement };
static WS_PARAMETER_DESCRIPTION params[] = { { WS_PARAMETER_TYPE_NORMAL, 0, 0xffff }, { WS_PARAMETER_TYPE_NORMAL, 0xffff, 0 } };

static HRESULT CALLBACK stub(const WS_OPERATION_CONTEXT *c, void *frame, const void *cb, const WS_ASYNC_CONTEXT *a,
                             WS_ERROR *e)
{
    return S_OK;
}
static HRESULT CALLBACK handler(const WS_OPERATION_CONTEXT *c, const WS_ASYNC_CONTEXT *a, WS_ERROR *e)
{
    return S_OK;
}
static HRESULT CALLBACK fn(void)
{
    return S_OK;
}

static WS_OPERATION_DESCRIPTION op = { 1, &opIn, &opOut, 0, 0, 2, params, stub, WS_NON_RPC_LITERAL_OPERATION };
static WS_OPERATION_DESCRIPTION *ops[] = { &op };
static WS_CONTRACT_DESCRIPTION contract = { 1, ops };

TEST(wws_service_host_create_checks_and_states)
{
    WS_ERROR *e = NULL;
    CHECK_EQ_INT(WsCreateError(NULL, 0, &e), S_OK);
    HRESULT (CALLBACK *table[1])(void) = { fn };
    WS_SERVICE_CONTRACT sc = { &contract, NULL, table };
    WS_SERVICE_ENDPOINT a, b;
    memset(&a, 0, sizeof a);
    a.address.url.chars = L"net.tcp://127.0.0.1:0/a";
    a.address.url.length = (ULONG)wcslen(a.address.url.chars);
    a.channelBinding = WS_HTTP_CHANNEL_BINDING;
    a.channelType = WS_CHANNEL_TYPE_DUPLEX_SESSION;
    a.contract = &sc;
    const WS_SERVICE_ENDPOINT *eps[] = { &a, &b };
    WS_SERVICE_HOST *h = NULL;
    CHECK_EQ_INT(WsCreateServiceHost(eps, 1, NULL, 0, &h, e), E_NOTIMPL); /* HTTP */
    a.channelBinding = WS_TCP_CHANNEL_BINDING;
    WS_SERVICE_CONTRACT nothing = { NULL, NULL, NULL }, noTable = { &contract, NULL, NULL };
    a.contract = &nothing;
    CHECK_EQ_INT(WsCreateServiceHost(eps, 1, NULL, 0, &h, e), E_INVALIDARG); /* neither operations nor a handler */
    a.contract = &noTable;
    CHECK_EQ_INT(WsCreateServiceHost(eps, 1, NULL, 0, &h, e), E_INVALIDARG); /* operations without their functions */
    WS_SERVICE_CONTRACT handlerOnly = { NULL, handler, NULL };
    a.contract = &handlerOnly;
    CHECK_EQ_INT(WsCreateServiceHost(eps, 1, NULL, 0, &h, e), S_OK); /* a default message handler alone */
    WsFreeServiceHost(h);
    h = NULL;
    a.contract = &sc;
    b = a;
    b.address.url.chars = L"net.tcp://127.0.0.1:0/b";
    CHECK_EQ_INT(WsCreateServiceHost(eps, 2, NULL, 0, &h, e), S_OK);
    WS_SERVICE_HOST_STATE st = WS_SERVICE_HOST_STATE_FAULTED;
    CHECK_EQ_INT(WsGetServiceHostProperty(h, WS_SERVICE_PROPERTY_HOST_STATE, &st, sizeof st, e), S_OK);
    CHECK_EQ_INT(st, WS_SERVICE_HOST_STATE_CREATED);
    CHECK_EQ_INT(ntcp_wws_service_host_port(h, 0), 0);
    CHECK_EQ_INT(WsOpenServiceHost(h, NULL, e), S_OK);
    CHECK_EQ_INT(WsGetServiceHostProperty(h, WS_SERVICE_PROPERTY_HOST_STATE, &st, sizeof st, e), S_OK);
    CHECK_EQ_INT(st, WS_SERVICE_HOST_STATE_OPEN);
    CHECK(ntcp_wws_service_host_port(h, 0) != 0);
    CHECK_EQ_INT(ntcp_wws_service_host_port(h, 1), ntcp_wws_service_host_port(h, 0)); /* port 0: shared */
    CHECK_EQ_INT(WsOpenServiceHost(h, NULL, e), WS_E_INVALID_OPERATION);
    CHECK_EQ_INT(WsCloseServiceHost(h, NULL, e), S_OK);
    CHECK_EQ_INT(WsGetServiceHostProperty(h, WS_SERVICE_PROPERTY_HOST_STATE, &st, sizeof st, e), S_OK);
    CHECK_EQ_INT(st, WS_SERVICE_HOST_STATE_CLOSED);
    CHECK_EQ_INT(WsResetServiceHost(h, e), S_OK);
    CHECK_EQ_INT(WsOpenServiceHost(h, NULL, e), S_OK); /* reset: open again */
    WsFreeServiceHost(h);                              /* closes it */
    WsFreeError(e);
}

TEST(wws_set_fault_error_detail)
{
    WS_ERROR *e = NULL;
    CHECK_EQ_INT(WsCreateError(NULL, 0, &e), S_OK);
    static WS_XML_STRING sns = WS_XML_STRING_VALUE("http://schemas.microsoft.com/2003/10/Serialization/"),
                         sname = WS_XML_STRING_VALUE("string"), action = WS_XML_STRING_VALUE("urn:t/OpStringFault");
    WS_ELEMENT_DESCRIPTION d = { &sname, &sns, WS_WSZ_TYPE, NULL };
    WS_FAULT_DETAIL_DESCRIPTION fd = { &action, &d };
    WCHAR *text = L"bad <a>";
    CHECK_EQ_INT(WsSetFaultErrorDetail(e, &fd, WS_WRITE_REQUIRED_POINTER, &text, sizeof text), S_OK);
    WS_FAULT *f = NULL;
    CHECK_EQ_INT(WsGetFaultErrorProperty(e, WS_FAULT_ERROR_PROPERTY_FAULT, &f, sizeof f), S_OK);
    CHECK(f != NULL && f->detail != NULL);
    if (f && f->detail) {
        WS_XML_WRITER *w = NULL;
        WS_HEAP *heap = NULL;
        void *bytes = NULL;
        ULONG n = 0;
        CHECK_EQ_INT(WsCreateHeap(4096, 0, NULL, 0, &heap, NULL), S_OK);
        CHECK_EQ_INT(WsWriteXmlBufferToBytes(w, f->detail, NULL, NULL, 0, heap, &bytes, &n, NULL), S_OK);
        const char want[] = "<string xmlns=\"http://schemas.microsoft.com/2003/10/Serialization/\">bad &lt;a&gt;</string>";
        CHECK_BYTES(bytes, n, want, sizeof want - 1);
        WsFreeHeap(heap);
    }
    WS_XML_STRING got;
    CHECK_EQ_INT(WsGetFaultErrorProperty(e, WS_FAULT_ERROR_PROPERTY_ACTION, &got, sizeof got), S_OK);
    CHECK_BYTES(got.bytes, got.length, "urn:t/OpStringFault", 19);
    /* a whole fault: its code and reason are copied */
    WS_FAULT_CODE sub = { WS_XML_QNAME_VALUE("Refused", "urn:x"), NULL };
    WS_FAULT_CODE code = { WS_XML_QNAME_VALUE("Sender", "http://www.w3.org/2003/05/soap-envelope"), &sub };
    WS_FAULT_REASON reason = { WS_STRING_VALUE(L"no"), WS_STRING_VALUE(L"en-US") };
    WS_FAULT mine;
    memset(&mine, 0, sizeof mine);
    mine.code = &code;
    mine.reasons = &reason;
    mine.reasonCount = 1;
    CHECK_EQ_INT(WsSetFaultErrorProperty(e, WS_FAULT_ERROR_PROPERTY_FAULT, &mine, sizeof mine), S_OK);
    CHECK_EQ_INT(WsGetFaultErrorProperty(e, WS_FAULT_ERROR_PROPERTY_FAULT, &f, sizeof f), S_OK);
    CHECK(f != NULL && f != &mine && f->code && f->code->subCode);
    if (f && f->code && f->code->subCode) {
        CHECK_BYTES(f->code->value.localName.bytes, f->code->value.localName.length, "Sender", 6);
        CHECK_BYTES(f->code->subCode->value.ns.bytes, f->code->subCode->value.ns.length, "urn:x", 5);
        CHECK_EQ_INT(f->reasonCount, 1);
        CHECK(f->reasons[0].text.length == 2 && !wmemcmp(f->reasons[0].text.chars, L"no", 2));
    }
    WsResetError(e);
    CHECK_EQ_INT(WsGetFaultErrorProperty(e, WS_FAULT_ERROR_PROPERTY_FAULT, &f, sizeof f), S_OK);
    CHECK(f == NULL);
    WsFreeError(e);
}
