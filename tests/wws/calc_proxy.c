/* A WWSAPI client through a service proxy, as wsutil.exe generates one from
 * the calculator's and the echo service's WSDL: data contract wrappers
 * described by WS_STRUCT_DESCRIPTIONs, operations by
 * WS_OPERATION_DESCRIPTIONs, and functions like
 * NetTcpBinding_ICalculator_Add(proxy, 1, 2, &result, heap, NULL, 0, NULL, error)
 * calling WsCall; the proxy made from the binding's template and the
 * policy wsutil reads from the WSDL (WsCreateServiceProxyFromTemplate). The descriptions are written by hand here, laid out as
 * wsutil lays them out. Built against the installed <webservices.h>.
 *
 * usage: calc_proxy URL none [ECHO_URL] | URL sspi SPN [USER DOMAIN PASSWORD]
 *   ECHO_URL: IEcho on an endpoint of its own (a second proxy), as a
 *   WWSAPI service host has it
 * Prints "Add(2, 3) = 5", "Divide(1, 3) = ...", "Echo: ..." or the failure. */
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <locale.h>
#include <wchar.h>
#include <webservices.h>

/* ---- what wsutil generates (the types and descriptions) -------------------- */
typedef struct Add { int n1; int n2; } Add;
typedef struct AddResponse { int AddResult; } AddResponse;
typedef struct Divide { double n1; double n2; } Divide;
typedef struct DivideResponse { double DivideResult; } DivideResponse;
typedef struct Echo { WCHAR *text; } Echo;
typedef struct EchoResponse { WCHAR *EchoResult; } EchoResponse;
typedef struct Delay { int ms; } Delay;
typedef struct DelayResponse { int DelayResult; } DelayResponse;

static WS_XML_STRING calcNs = WS_XML_STRING_VALUE("http://Microsoft.ServiceModel.Samples");
static WS_XML_STRING echoNs = WS_XML_STRING_VALUE("http://tempuri.org/");
static WS_XML_STRING addName = WS_XML_STRING_VALUE("Add"), addResponseName = WS_XML_STRING_VALUE("AddResponse");
static WS_XML_STRING divideName = WS_XML_STRING_VALUE("Divide"),
                     divideResponseName = WS_XML_STRING_VALUE("DivideResponse");
static WS_XML_STRING echoName = WS_XML_STRING_VALUE("Echo"), echoResponseName = WS_XML_STRING_VALUE("EchoResponse");
static WS_XML_STRING n1Name = WS_XML_STRING_VALUE("n1"), n2Name = WS_XML_STRING_VALUE("n2");
static WS_XML_STRING addResultName = WS_XML_STRING_VALUE("AddResult");
static WS_XML_STRING divideResultName = WS_XML_STRING_VALUE("DivideResult");
static WS_XML_STRING textName = WS_XML_STRING_VALUE("text"), echoResultName = WS_XML_STRING_VALUE("EchoResult");
static WS_XML_STRING addAction = WS_XML_STRING_VALUE("http://Microsoft.ServiceModel.Samples/ICalculator/Add");
static WS_XML_STRING addReplyAction =
    WS_XML_STRING_VALUE("http://Microsoft.ServiceModel.Samples/ICalculator/AddResponse");
static WS_XML_STRING divideAction = WS_XML_STRING_VALUE("http://Microsoft.ServiceModel.Samples/ICalculator/Divide");
static WS_XML_STRING divideReplyAction =
    WS_XML_STRING_VALUE("http://Microsoft.ServiceModel.Samples/ICalculator/DivideResponse");
static WS_XML_STRING echoAction = WS_XML_STRING_VALUE("http://tempuri.org/IEcho/Echo");
static WS_XML_STRING delayName = WS_XML_STRING_VALUE("Delay"), delayResponseName = WS_XML_STRING_VALUE("DelayResponse");
static WS_XML_STRING msName = WS_XML_STRING_VALUE("ms"), delayResultName = WS_XML_STRING_VALUE("DelayResult");
static WS_XML_STRING delayAction = WS_XML_STRING_VALUE("http://tempuri.org/IEcho/Delay");
static WS_XML_STRING delayReplyAction = WS_XML_STRING_VALUE("http://tempuri.org/IEcho/DelayResponse");
static WS_XML_STRING delayFaultAction = WS_XML_STRING_VALUE("http://tempuri.org/IEcho/DelayStringFault");
static WS_XML_STRING serializationNs = WS_XML_STRING_VALUE("http://schemas.microsoft.com/2003/10/Serialization/");
static WS_XML_STRING stringName = WS_XML_STRING_VALUE("string");
static WS_XML_STRING echoReplyAction = WS_XML_STRING_VALUE("http://tempuri.org/IEcho/EchoResponse");

#define FIELD(var, name, ns, type, st, member)                                                          \
    static WS_FIELD_DESCRIPTION var = { WS_ELEMENT_FIELD_MAPPING, &name, &ns, type, NULL,             \
                                        offsetof(st, member), 0, NULL, 0, NULL, NULL, NULL }
FIELD(addN1, n1Name, calcNs, WS_INT32_TYPE, Add, n1);
FIELD(addN2, n2Name, calcNs, WS_INT32_TYPE, Add, n2);
FIELD(addResult, addResultName, calcNs, WS_INT32_TYPE, AddResponse, AddResult);
FIELD(divN1, n1Name, calcNs, WS_DOUBLE_TYPE, Divide, n1);
FIELD(divN2, n2Name, calcNs, WS_DOUBLE_TYPE, Divide, n2);
FIELD(divResult, divideResultName, calcNs, WS_DOUBLE_TYPE, DivideResponse, DivideResult);
FIELD(echoText, textName, echoNs, WS_WSZ_TYPE, Echo, text);
FIELD(echoResult, echoResultName, echoNs, WS_WSZ_TYPE, EchoResponse, EchoResult);
FIELD(delayMs, msName, echoNs, WS_INT32_TYPE, Delay, ms);
FIELD(delayResult, delayResultName, echoNs, WS_INT32_TYPE, DelayResponse, DelayResult);

static WS_FIELD_DESCRIPTION *addFields[] = { &addN1, &addN2 }, *addResponseFields[] = { &addResult };
static WS_FIELD_DESCRIPTION *divFields[] = { &divN1, &divN2 }, *divResponseFields[] = { &divResult };
static WS_FIELD_DESCRIPTION *echoFields[] = { &echoText }, *echoResponseFields[] = { &echoResult };
static WS_FIELD_DESCRIPTION *delayFields[] = { &delayMs }, *delayResponseFields[] = { &delayResult };

#define STRUCT(var, st, fields, name, ns)                                                               \
    static WS_STRUCT_DESCRIPTION var = { sizeof(st), _Alignof(st), fields, WsCountOf(fields), &name, &ns, \
                                         NULL, NULL, 0, 0 }
STRUCT(addType, Add, addFields, addName, calcNs);
STRUCT(addResponseType, AddResponse, addResponseFields, addResponseName, calcNs);
STRUCT(divType, Divide, divFields, divideName, calcNs);
STRUCT(divResponseType, DivideResponse, divResponseFields, divideResponseName, calcNs);
STRUCT(echoType, Echo, echoFields, echoName, echoNs);
STRUCT(echoResponseType, EchoResponse, echoResponseFields, echoResponseName, echoNs);
STRUCT(delayType, Delay, delayFields, delayName, echoNs);
STRUCT(delayResponseType, DelayResponse, delayResponseFields, delayResponseName, echoNs);

static WS_ELEMENT_DESCRIPTION addElement = { &addName, &calcNs, WS_STRUCT_TYPE, &addType };
static WS_ELEMENT_DESCRIPTION addResponseElement = { &addResponseName, &calcNs, WS_STRUCT_TYPE, &addResponseType };
static WS_ELEMENT_DESCRIPTION divElement = { &divideName, &calcNs, WS_STRUCT_TYPE, &divType };
static WS_ELEMENT_DESCRIPTION divResponseElement = { &divideResponseName, &calcNs, WS_STRUCT_TYPE, &divResponseType };
static WS_ELEMENT_DESCRIPTION echoElement = { &echoName, &echoNs, WS_STRUCT_TYPE, &echoType };
static WS_ELEMENT_DESCRIPTION echoResponseElement = { &echoResponseName, &echoNs, WS_STRUCT_TYPE, &echoResponseType };
static WS_ELEMENT_DESCRIPTION delayElement = { &delayName, &echoNs, WS_STRUCT_TYPE, &delayType };
static WS_ELEMENT_DESCRIPTION delayResponseElement = { &delayResponseName, &echoNs, WS_STRUCT_TYPE, &delayResponseType };
/* the fault detail of [FaultContract(typeof(string))] */
static WS_ELEMENT_DESCRIPTION stringElement = { &stringName, &serializationNs, WS_WSZ_TYPE, NULL };
static WS_FAULT_DETAIL_DESCRIPTION delayFault = { &delayFaultAction, &stringElement };

static WS_MESSAGE_DESCRIPTION addIn = { &addAction, &addElement }, addOut = { &addReplyAction, &addResponseElement };
static WS_MESSAGE_DESCRIPTION divIn = { &divideAction, &divElement }, divOut = { &divideReplyAction, &divResponseElement };
static WS_MESSAGE_DESCRIPTION echoIn = { &echoAction, &echoElement }, echoOut = { &echoReplyAction, &echoResponseElement };
static WS_MESSAGE_DESCRIPTION delayIn = { &delayAction, &delayElement }, delayOut = { &delayReplyAction, &delayResponseElement };

/* two inputs (fields 0 and 1 of the request), one output (field 0 of the reply) */
static WS_PARAMETER_DESCRIPTION binaryParams[] = {
    { WS_PARAMETER_TYPE_NORMAL, 0, 0xffff }, { WS_PARAMETER_TYPE_NORMAL, 1, 0xffff }, { WS_PARAMETER_TYPE_NORMAL, 0xffff, 0 } };
static WS_PARAMETER_DESCRIPTION unaryParams[] = {
    { WS_PARAMETER_TYPE_NORMAL, 0, 0xffff }, { WS_PARAMETER_TYPE_NORMAL, 0xffff, 0 } };
static WS_OPERATION_DESCRIPTION addOperation = { 1, &addIn, &addOut, 0, 0, 3, binaryParams, NULL, WS_NON_RPC_LITERAL_OPERATION };
static WS_OPERATION_DESCRIPTION divOperation = { 1, &divIn, &divOut, 0, 0, 3, binaryParams, NULL, WS_NON_RPC_LITERAL_OPERATION };
static WS_OPERATION_DESCRIPTION echoOperation = { 1, &echoIn, &echoOut, 0, 0, 2, unaryParams, NULL, WS_NON_RPC_LITERAL_OPERATION };
static WS_OPERATION_DESCRIPTION delayOperation = { 1, &delayIn, &delayOut, 0, 0, 2, unaryParams, NULL, WS_NON_RPC_LITERAL_OPERATION };

HRESULT WINAPI NetTcpBinding_ICalculator_Add(WS_SERVICE_PROXY *_serviceProxy, int n1, int n2, int *AddResult,
                                             WS_HEAP *_heap, const WS_CALL_PROPERTY *_callProperties,
                                             const ULONG _callPropertyCount, const WS_ASYNC_CONTEXT *_asyncContext,
                                             WS_ERROR *_error)
{
    void *_argList[3];
    _argList[0] = &n1;
    _argList[1] = &n2;
    _argList[2] = &AddResult;
    return WsCall(_serviceProxy, &addOperation, (const void **)&_argList, _heap, _callProperties, _callPropertyCount,
                  _asyncContext, _error);
}

HRESULT WINAPI NetTcpBinding_ICalculator_Divide(WS_SERVICE_PROXY *_serviceProxy, double n1, double n2,
                                                double *DivideResult, WS_HEAP *_heap,
                                                const WS_CALL_PROPERTY *_callProperties,
                                                const ULONG _callPropertyCount, const WS_ASYNC_CONTEXT *_asyncContext,
                                                WS_ERROR *_error)
{
    void *_argList[3];
    _argList[0] = &n1;
    _argList[1] = &n2;
    _argList[2] = &DivideResult;
    return WsCall(_serviceProxy, &divOperation, (const void **)&_argList, _heap, _callProperties, _callPropertyCount,
                  _asyncContext, _error);
}

HRESULT WINAPI NetTcpBinding_IEcho_Echo(WS_SERVICE_PROXY *_serviceProxy, WCHAR *text, WCHAR **EchoResult,
                                        WS_HEAP *_heap, const WS_CALL_PROPERTY *_callProperties,
                                        const ULONG _callPropertyCount, const WS_ASYNC_CONTEXT *_asyncContext,
                                        WS_ERROR *_error)
{
    void *_argList[2];
    _argList[0] = &text;
    _argList[1] = &EchoResult;
    return WsCall(_serviceProxy, &echoOperation, (const void **)&_argList, _heap, _callProperties, _callPropertyCount,
                  _asyncContext, _error);
}

HRESULT WINAPI NetTcpBinding_IEcho_Delay(WS_SERVICE_PROXY *_serviceProxy, int ms, int *DelayResult, WS_HEAP *_heap,
                                         const WS_CALL_PROPERTY *_callProperties, const ULONG _callPropertyCount,
                                         const WS_ASYNC_CONTEXT *_asyncContext, WS_ERROR *_error)
{
    void *_argList[2];
    _argList[0] = &ms;
    _argList[1] = &DelayResult;
    return WsCall(_serviceProxy, &delayOperation, (const void **)&_argList, _heap, _callProperties, _callPropertyCount,
                  _asyncContext, _error);
}

/* the binding as wsutil writes it from the WSDL's NetTcpBinding policy */
static WS_ENCODING policyEncoding = WS_ENCODING_XML_BINARY_SESSION_1;
static WS_ENVELOPE_VERSION policyEnvelope = WS_ENVELOPE_VERSION_SOAP_1_2;
static WS_ADDRESSING_VERSION policyAddressing = WS_ADDRESSING_VERSION_1_0;
static WS_PROTECTION_LEVEL policyProtection = WS_PROTECTION_LEVEL_SIGN_AND_ENCRYPT;
static WS_CHANNEL_PROPERTY policyChannelProperties[] = {
    { WS_CHANNEL_PROPERTY_ENCODING, &policyEncoding, sizeof(policyEncoding) },
    { WS_CHANNEL_PROPERTY_ENVELOPE_VERSION, &policyEnvelope, sizeof(policyEnvelope) },
    { WS_CHANNEL_PROPERTY_ADDRESSING_VERSION, &policyAddressing, sizeof(policyAddressing) } };
static WS_SECURITY_PROPERTY policySecurityProperties[] = {
    { WS_SECURITY_PROPERTY_TRANSPORT_PROTECTION_LEVEL, &policyProtection, sizeof(policyProtection) } };

HRESULT NetTcpBinding_ICalculator_CreateServiceProxy(WS_TCP_SSPI_BINDING_TEMPLATE *templateValue,
                                                     const WS_PROXY_PROPERTY *proxyProperties,
                                                     const ULONG proxyPropertyCount, WS_SERVICE_PROXY **_serviceProxy,
                                                     WS_ERROR *error)
{
    WS_TCP_SSPI_POLICY_DESCRIPTION policy;
    memset(&policy, 0, sizeof policy);
    policy.channelProperties.properties = policyChannelProperties;
    policy.channelProperties.propertyCount = WsCountOf(policyChannelProperties);
    policy.securityProperties.properties = policySecurityProperties;
    policy.securityProperties.propertyCount = WsCountOf(policySecurityProperties);
    return WsCreateServiceProxyFromTemplate(WS_CHANNEL_TYPE_DUPLEX_SESSION, proxyProperties, proxyPropertyCount,
                                            WS_TCP_SSPI_BINDING_TEMPLATE_TYPE, templateValue,
                                            templateValue == NULL ? 0 : sizeof(WS_TCP_SSPI_BINDING_TEMPLATE), &policy,
                                            sizeof(policy), _serviceProxy, error);
}

/* the same contract on an unsecured NetTcpBinding */
HRESULT NetTcpBinding_Unsecured_CreateServiceProxy(WS_TCP_BINDING_TEMPLATE *templateValue,
                                                   const WS_PROXY_PROPERTY *proxyProperties,
                                                   const ULONG proxyPropertyCount, WS_SERVICE_PROXY **_serviceProxy,
                                                   WS_ERROR *error)
{
    WS_TCP_POLICY_DESCRIPTION policy;
    policy.channelProperties.properties = policyChannelProperties;
    policy.channelProperties.propertyCount = WsCountOf(policyChannelProperties);
    return WsCreateServiceProxyFromTemplate(WS_CHANNEL_TYPE_DUPLEX_SESSION, proxyProperties, proxyPropertyCount,
                                            WS_TCP_BINDING_TEMPLATE_TYPE, templateValue,
                                            templateValue == NULL ? 0 : sizeof(WS_TCP_BINDING_TEMPLATE), &policy,
                                            sizeof(policy), _serviceProxy, error);
}

/* ---- the program -------------------------------------------------------------- */
static void PrintError(HRESULT errorCode, WS_ERROR *error)
{
    printf("failure: 0x%08x\n", (unsigned)errorCode);
    ULONG errorCount = 0;
    if (error == NULL || FAILED(WsGetErrorProperty(error, WS_ERROR_PROPERTY_STRING_COUNT, &errorCount, sizeof(errorCount))))
        return;
    for (ULONG i = 0; i < errorCount; i++) {
        WS_STRING string;
        if (SUCCEEDED(WsGetErrorString(error, i, &string))) printf("%.*ls\n", (int)string.length, string.chars);
    }
}

static WCHAR *Wide(const char *s)
{
    size_t n = mbstowcs(NULL, s, 0);
    WCHAR *w = calloc(n + 1, sizeof(WCHAR));
    if (w != NULL) mbstowcs(w, s, n + 1);
    return w;
}

int main(int argc, char **argv)
{
    HRESULT hr;
    WS_ERROR *error = NULL;
    WS_HEAP *heap = NULL;
    WS_SERVICE_PROXY *proxy = NULL, *echoProxy = NULL;
    WCHAR *echoUrl = NULL, *url = NULL, *spn = NULL, *user = NULL, *domain = NULL, *password = NULL;
    if (argc < 3 || (strcmp(argv[2], "none") && argc < 4)) {
        fprintf(stderr, "usage: calc_proxy URL none [ECHO_URL] | URL sspi SPN [USER DOMAIN PASSWORD]\n");
        return 2;
    }
    setlocale(LC_CTYPE, "C.UTF-8"); /* %ls prints UTF-8 */
    BOOL secure = !strcmp(argv[2], "sspi");
    url = Wide(argv[1]);
    hr = WsCreateError(NULL, 0, &error);
    if (FAILED(hr)) goto Exit;
    hr = WsCreateHeap(2048, 512, NULL, 0, &heap, error);
    if (FAILED(hr)) goto Exit;

    WS_DEFAULT_WINDOWS_INTEGRATED_AUTH_CREDENTIAL defaultCredential = { { WS_DEFAULT_WINDOWS_INTEGRATED_AUTH_CREDENTIAL_TYPE } };
    WS_STRING_WINDOWS_INTEGRATED_AUTH_CREDENTIAL stringCredential;
    memset(&stringCredential, 0, sizeof stringCredential);
    stringCredential.credential.credentialType = WS_STRING_WINDOWS_INTEGRATED_AUTH_CREDENTIAL_TYPE;
    WS_TCP_SSPI_BINDING_TEMPLATE templateValue;
    memset(&templateValue, 0, sizeof templateValue);
    templateValue.sspiTransportSecurityBinding.clientCredential = &defaultCredential.credential;
    if (argc >= 7) {
        user = Wide(argv[4]);
        domain = Wide(argv[5]);
        password = Wide(argv[6]);
        stringCredential.username.chars = user;
        stringCredential.username.length = (ULONG)wcslen(user);
        stringCredential.domain.chars = domain;
        stringCredential.domain.length = (ULONG)wcslen(domain);
        stringCredential.password.chars = password;
        stringCredential.password.length = (ULONG)wcslen(password);
        templateValue.sspiTransportSecurityBinding.clientCredential = &stringCredential.credential;
    }
    if (secure)
        hr = NetTcpBinding_ICalculator_CreateServiceProxy(&templateValue, NULL, 0, &proxy, error);
    else
        hr = NetTcpBinding_Unsecured_CreateServiceProxy(NULL, NULL, 0, &proxy, error);
    if (FAILED(hr)) goto Exit;
    WS_SPN_ENDPOINT_IDENTITY spnIdentity;
    WS_ENDPOINT_ADDRESS address;
    memset(&address, 0, sizeof address);
    address.url.chars = url;
    address.url.length = (ULONG)wcslen(url);
    if (secure) {
        spn = Wide(argv[3]);
        spnIdentity.identity.identityType = WS_SPN_ENDPOINT_IDENTITY_TYPE;
        spnIdentity.spn.chars = spn;
        spnIdentity.spn.length = (ULONG)wcslen(spn);
        address.identity = &spnIdentity.identity;
    }
    hr = WsOpenServiceProxy(proxy, &address, NULL, error);
    if (FAILED(hr)) goto Exit;
    WS_SERVICE_PROXY *echoTarget = proxy;
    if (!secure && argc >= 4) { /* IEcho at its own address */
        echoUrl = Wide(argv[3]);
        hr = NetTcpBinding_Unsecured_CreateServiceProxy(NULL, NULL, 0, &echoProxy, error);
        if (FAILED(hr)) goto Exit;
        WS_ENDPOINT_ADDRESS echoAddress;
        memset(&echoAddress, 0, sizeof echoAddress);
        echoAddress.url.chars = echoUrl;
        echoAddress.url.length = (ULONG)wcslen(echoUrl);
        hr = WsOpenServiceProxy(echoProxy, &echoAddress, NULL, error);
        if (FAILED(hr)) goto Exit;
        echoTarget = echoProxy;
    }

    int sum = 0;
    hr = NetTcpBinding_ICalculator_Add(proxy, 2, 3, &sum, heap, NULL, 0, NULL, error);
    if (FAILED(hr)) goto Exit;
    printf("Add(2, 3) = %d\n", sum);
    double quotient = 0;
    hr = NetTcpBinding_ICalculator_Divide(proxy, 1, 3, &quotient, heap, NULL, 0, NULL, error);
    if (FAILED(hr)) goto Exit;
    printf("Divide(1, 3) = %.17g\n", quotient);
    WCHAR *echoed = NULL;
    hr = NetTcpBinding_IEcho_Echo(echoTarget, L"h\x00e9llo <proxy>", &echoed, heap, NULL, 0, NULL, error);
    if (FAILED(hr)) goto Exit;
    printf("Echo: %ls\n", echoed);
    /* a typed fault: FaultException<string> */
    int waited = 0;
    hr = NetTcpBinding_IEcho_Delay(echoTarget, -1, &waited, heap, NULL, 0, NULL, error);
    printf("Delay(-1): 0x%08x\n", (unsigned)hr);
    if (hr != WS_E_ENDPOINT_FAULT_RECEIVED) {
        if (SUCCEEDED(hr)) hr = E_FAIL;
        goto Exit;
    }
    WS_FAULT *fault = NULL;
    hr = WsGetFaultErrorProperty(error, WS_FAULT_ERROR_PROPERTY_FAULT, &fault, sizeof(fault));
    if (FAILED(hr) || fault == NULL) goto Exit;
    WS_XML_STRING faultAction;
    hr = WsGetFaultErrorProperty(error, WS_FAULT_ERROR_PROPERTY_ACTION, &faultAction, sizeof(faultAction));
    if (FAILED(hr)) goto Exit;
    printf("fault: %.*s, %ls (%.*s)\n", (int)fault->code->value.localName.length,
           (const char *)fault->code->value.localName.bytes, fault->reasons[0].text.chars, (int)faultAction.length,
           (const char *)faultAction.bytes);
    WCHAR *detail = NULL;
    hr = WsGetFaultErrorDetail(error, &delayFault, WS_READ_REQUIRED_POINTER, heap, &detail, sizeof(detail));
    if (FAILED(hr)) goto Exit;
    printf("fault detail: %ls\n", detail);
    WsResetError(error);
    hr = WsCloseServiceProxy(proxy, NULL, error);
    if (SUCCEEDED(hr) && echoProxy != NULL) hr = WsCloseServiceProxy(echoProxy, NULL, error);

Exit:
    if (FAILED(hr)) PrintError(hr, error);
    if (proxy != NULL) WsFreeServiceProxy(proxy);
    if (echoProxy != NULL) WsFreeServiceProxy(echoProxy);
    if (heap != NULL) WsFreeHeap(heap);
    if (error != NULL) WsFreeError(error);
    free(url), free(echoUrl), free(spn), free(user), free(domain), free(password);
    return FAILED(hr) ? 1 : 0;
}
