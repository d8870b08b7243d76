/* A WWSAPI service through the service host, as wsutil.exe generates one
 * from the calculator's and the echo service's WSDL: the parameter structs,
 * the operation stubs that unpack them and call the function table, the
 * operation and contract descriptions; then the service's own functions, an
 * authorization callback and the host (WsCreateServiceHost with one
 * endpoint per contract; IEcho's default message handler answers any other
 * action). The descriptions are written by hand here, laid
 * out as wsutil lays them out. Built against the installed <webservices.h>.
 *
 * usage: calc_service BASE-URL none|sspi [DENIED-PRINCIPAL]
 * ICalculator at BASE-URL/calc, IEcho at BASE-URL/echo (port 0: one free
 * port for both). Prints "listening on URL" per endpoint, "authorize
 * PRINCIPAL" per call ("anonymous" without security), refuses calls from
 * DENIED-PRINCIPAL; closes the host and exits 0 on SIGTERM or SIGINT. */
#define _POSIX_C_SOURCE 200809L
#include <stddef.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <locale.h>
#include <wchar.h>
#include <webservices.h>
#include <nettcp_wws.h>

/* ---- what wsutil generates: types and descriptions ------------------------------ */
typedef struct Add { double n1; double n2; } Add;
typedef struct AddResponse { double AddResult; } AddResponse;
typedef struct Scale { int factor; double value; } Scale;
typedef struct ScaleResponse { double ScaleResult; } ScaleResponse;
typedef struct Echo { WCHAR *text; } Echo;
typedef struct EchoResponse { WCHAR *EchoResult; } EchoResponse;
typedef struct Delay { int ms; } Delay;
typedef struct DelayResponse { int DelayResult; } DelayResponse;

static WS_XML_STRING calcNs = WS_XML_STRING_VALUE("http://Microsoft.ServiceModel.Samples");
static WS_XML_STRING echoNs = WS_XML_STRING_VALUE("http://tempuri.org/");
static WS_XML_STRING n1Name = WS_XML_STRING_VALUE("n1"), n2Name = WS_XML_STRING_VALUE("n2");
static WS_XML_STRING factorName = WS_XML_STRING_VALUE("factor"), valueName = WS_XML_STRING_VALUE("value");
static WS_XML_STRING textName = WS_XML_STRING_VALUE("text"), msName = WS_XML_STRING_VALUE("ms");
static WS_XML_STRING serializationNs = WS_XML_STRING_VALUE("http://schemas.microsoft.com/2003/10/Serialization/");
static WS_XML_STRING stringName = WS_XML_STRING_VALUE("string");
static WS_XML_STRING delayFaultAction = WS_XML_STRING_VALUE("http://tempuri.org/IEcho/DelayStringFault");

#define NAME(var, text) static WS_XML_STRING var = WS_XML_STRING_VALUE(text)
#define FIELD(var, name, ns, type, st, member)                                                          \
    static WS_FIELD_DESCRIPTION var = { WS_ELEMENT_FIELD_MAPPING, &name, &ns, type, NULL,             \
                                        offsetof(st, member), 0, NULL, 0, NULL, NULL, NULL }
#define STRUCT(var, st, fields, name, ns)                                                               \
    static WS_STRUCT_DESCRIPTION var = { sizeof(st), _Alignof(st), fields, WsCountOf(fields), &name, &ns, \
                                         NULL, NULL, 0, 0 }

/* the four ICalculator operations of doubles: Add, Subtract, Multiply, Divide */
#define CALC_OP(Op)                                                                                       \
    NAME(Op##Name, #Op);                                                                                  \
    NAME(Op##ResponseName, #Op "Response");                                                               \
    NAME(Op##ResultName, #Op "Result");                                                                   \
    NAME(Op##Action, "http://Microsoft.ServiceModel.Samples/ICalculator/" #Op);                            \
    NAME(Op##ReplyAction, "http://Microsoft.ServiceModel.Samples/ICalculator/" #Op "Response");            \
    FIELD(Op##N1, n1Name, calcNs, WS_DOUBLE_TYPE, Add, n1);                                               \
    FIELD(Op##N2, n2Name, calcNs, WS_DOUBLE_TYPE, Add, n2);                                               \
    FIELD(Op##Result, Op##ResultName, calcNs, WS_DOUBLE_TYPE, AddResponse, AddResult);                    \
    static WS_FIELD_DESCRIPTION *Op##Fields[] = { &Op##N1, &Op##N2 }, *Op##ResponseFields[] = { &Op##Result }; \
    STRUCT(Op##Type, Add, Op##Fields, Op##Name, calcNs);                                                  \
    STRUCT(Op##ResponseType, AddResponse, Op##ResponseFields, Op##ResponseName, calcNs);                  \
    static WS_ELEMENT_DESCRIPTION Op##Element = { &Op##Name, &calcNs, WS_STRUCT_TYPE, &Op##Type };        \
    static WS_ELEMENT_DESCRIPTION Op##ResponseElement = { &Op##ResponseName, &calcNs, WS_STRUCT_TYPE,    \
                                                          &Op##ResponseType };                            \
    static WS_MESSAGE_DESCRIPTION Op##In = { &Op##Action, &Op##Element },                                 \
                                  Op##Out = { &Op##ReplyAction, &Op##ResponseElement }
CALC_OP(Add);
CALC_OP(Subtract);
CALC_OP(Multiply);
CALC_OP(Divide);

NAME(scaleName, "Scale");
NAME(scaleResponseName, "ScaleResponse");
NAME(scaleResultName, "ScaleResult");
NAME(scaleAction, "http://Microsoft.ServiceModel.Samples/ICalculator/Scale");
NAME(scaleReplyAction, "http://Microsoft.ServiceModel.Samples/ICalculator/ScaleResponse");
FIELD(scaleFactor, factorName, calcNs, WS_INT32_TYPE, Scale, factor);
FIELD(scaleValue, valueName, calcNs, WS_DOUBLE_TYPE, Scale, value);
FIELD(scaleResult, scaleResultName, calcNs, WS_DOUBLE_TYPE, ScaleResponse, ScaleResult);
static WS_FIELD_DESCRIPTION *scaleFields[] = { &scaleFactor, &scaleValue }, *scaleResponseFields[] = { &scaleResult };
STRUCT(scaleType, Scale, scaleFields, scaleName, calcNs);
STRUCT(scaleResponseType, ScaleResponse, scaleResponseFields, scaleResponseName, calcNs);
static WS_ELEMENT_DESCRIPTION scaleElement = { &scaleName, &calcNs, WS_STRUCT_TYPE, &scaleType };
static WS_ELEMENT_DESCRIPTION scaleResponseElement = { &scaleResponseName, &calcNs, WS_STRUCT_TYPE, &scaleResponseType };
static WS_MESSAGE_DESCRIPTION scaleIn = { &scaleAction, &scaleElement }, scaleOut = { &scaleReplyAction, &scaleResponseElement };

NAME(echoName, "Echo");
NAME(echoResponseName, "EchoResponse");
NAME(echoResultName, "EchoResult");
NAME(echoAction, "http://tempuri.org/IEcho/Echo");
NAME(echoReplyAction, "http://tempuri.org/IEcho/EchoResponse");
FIELD(echoText, textName, echoNs, WS_WSZ_TYPE, Echo, text);
FIELD(echoResult, echoResultName, echoNs, WS_WSZ_TYPE, EchoResponse, EchoResult);
static WS_FIELD_DESCRIPTION *echoFields[] = { &echoText }, *echoResponseFields[] = { &echoResult };
STRUCT(echoType, Echo, echoFields, echoName, echoNs);
STRUCT(echoResponseType, EchoResponse, echoResponseFields, echoResponseName, echoNs);
static WS_ELEMENT_DESCRIPTION echoElement = { &echoName, &echoNs, WS_STRUCT_TYPE, &echoType };
static WS_ELEMENT_DESCRIPTION echoResponseElement = { &echoResponseName, &echoNs, WS_STRUCT_TYPE, &echoResponseType };
static WS_MESSAGE_DESCRIPTION echoIn = { &echoAction, &echoElement }, echoOut = { &echoReplyAction, &echoResponseElement };

NAME(delayName, "Delay");
NAME(delayResponseName, "DelayResponse");
NAME(delayResultName, "DelayResult");
NAME(delayAction, "http://tempuri.org/IEcho/Delay");
NAME(delayReplyAction, "http://tempuri.org/IEcho/DelayResponse");
FIELD(delayMs, msName, echoNs, WS_INT32_TYPE, Delay, ms);
FIELD(delayResult, delayResultName, echoNs, WS_INT32_TYPE, DelayResponse, DelayResult);
static WS_FIELD_DESCRIPTION *delayFields[] = { &delayMs }, *delayResponseFields[] = { &delayResult };
STRUCT(delayType, Delay, delayFields, delayName, echoNs);
STRUCT(delayResponseType, DelayResponse, delayResponseFields, delayResponseName, echoNs);
static WS_ELEMENT_DESCRIPTION delayElement = { &delayName, &echoNs, WS_STRUCT_TYPE, &delayType };
static WS_ELEMENT_DESCRIPTION delayResponseElement = { &delayResponseName, &echoNs, WS_STRUCT_TYPE, &delayResponseType };
static WS_MESSAGE_DESCRIPTION delayIn = { &delayAction, &delayElement }, delayOut = { &delayReplyAction, &delayResponseElement };
/* [FaultContract(typeof(string))] on Delay */
static WS_ELEMENT_DESCRIPTION stringElement = { &stringName, &serializationNs, WS_WSZ_TYPE, NULL };
static WS_FAULT_DETAIL_DESCRIPTION delayFault = { &delayFaultAction, &stringElement };

/* ---- what wsutil generates: the service side ------------------------------------ */
typedef HRESULT (CALLBACK *NetTcpBinding_ICalculator_BinaryCallback)(const WS_OPERATION_CONTEXT *_context, double n1,
                                                                     double n2, double *result,
                                                                     const WS_ASYNC_CONTEXT *_asyncContext,
                                                                     WS_ERROR *_error);
typedef HRESULT (CALLBACK *NetTcpBinding_ICalculator_ScaleCallback)(const WS_OPERATION_CONTEXT *_context, int factor,
                                                                    double value, double *ScaleResult,
                                                                    const WS_ASYNC_CONTEXT *_asyncContext,
                                                                    WS_ERROR *_error);
typedef struct NetTcpBinding_ICalculatorFunctionTable {
    NetTcpBinding_ICalculator_BinaryCallback NetTcpBinding_ICalculator_Add;
    NetTcpBinding_ICalculator_BinaryCallback NetTcpBinding_ICalculator_Subtract;
    NetTcpBinding_ICalculator_BinaryCallback NetTcpBinding_ICalculator_Multiply;
    NetTcpBinding_ICalculator_BinaryCallback NetTcpBinding_ICalculator_Divide;
    NetTcpBinding_ICalculator_ScaleCallback NetTcpBinding_ICalculator_Scale;
} NetTcpBinding_ICalculatorFunctionTable;

typedef HRESULT (CALLBACK *NetTcpBinding_IEcho_EchoCallback)(const WS_OPERATION_CONTEXT *_context, WCHAR *text,
                                                             WCHAR **EchoResult, const WS_ASYNC_CONTEXT *_asyncContext,
                                                             WS_ERROR *_error);
typedef HRESULT (CALLBACK *NetTcpBinding_IEcho_DelayCallback)(const WS_OPERATION_CONTEXT *_context, int ms,
                                                              int *DelayResult, const WS_ASYNC_CONTEXT *_asyncContext,
                                                              WS_ERROR *_error);
typedef struct NetTcpBinding_IEchoFunctionTable {
    NetTcpBinding_IEcho_EchoCallback NetTcpBinding_IEcho_Echo;
    NetTcpBinding_IEcho_DelayCallback NetTcpBinding_IEcho_Delay;
} NetTcpBinding_IEchoFunctionTable;

typedef struct _NetTcpBinding_ICalculator_BinaryParamStruct {
    double n1;
    double n2;
    double result;
} NetTcpBinding_ICalculator_BinaryParamStruct;

static HRESULT CALLBACK NetTcpBinding_ICalculator_BinaryOperationStub(const WS_OPERATION_CONTEXT *_context,
                                                                      void *_stackStruct, const void *_callback,
                                                                      const WS_ASYNC_CONTEXT *_asyncContext,
                                                                      WS_ERROR *_error)
{
    NetTcpBinding_ICalculator_BinaryParamStruct *_stack = (NetTcpBinding_ICalculator_BinaryParamStruct *)_stackStruct;
    NetTcpBinding_ICalculator_BinaryCallback _operation = (NetTcpBinding_ICalculator_BinaryCallback)_callback;
    return _operation(_context, _stack->n1, _stack->n2, &(_stack->result), _asyncContext, _error);
}

/* an int then doubles: the frame has padding after factor, as the compiler lays it out */
typedef struct _NetTcpBinding_ICalculator_ScaleParamStruct {
    int factor;
    double value;
    double ScaleResult;
} NetTcpBinding_ICalculator_ScaleParamStruct;

static HRESULT CALLBACK NetTcpBinding_ICalculator_ScaleOperationStub(const WS_OPERATION_CONTEXT *_context,
                                                                     void *_stackStruct, const void *_callback,
                                                                     const WS_ASYNC_CONTEXT *_asyncContext,
                                                                     WS_ERROR *_error)
{
    NetTcpBinding_ICalculator_ScaleParamStruct *_stack = (NetTcpBinding_ICalculator_ScaleParamStruct *)_stackStruct;
    NetTcpBinding_ICalculator_ScaleCallback _operation = (NetTcpBinding_ICalculator_ScaleCallback)_callback;
    return _operation(_context, _stack->factor, _stack->value, &(_stack->ScaleResult), _asyncContext, _error);
}

typedef struct _NetTcpBinding_IEcho_EchoParamStruct {
    WCHAR *text;
    WCHAR *EchoResult;
} NetTcpBinding_IEcho_EchoParamStruct;

static HRESULT CALLBACK NetTcpBinding_IEcho_EchoOperationStub(const WS_OPERATION_CONTEXT *_context, void *_stackStruct,
                                                              const void *_callback,
                                                              const WS_ASYNC_CONTEXT *_asyncContext, WS_ERROR *_error)
{
    NetTcpBinding_IEcho_EchoParamStruct *_stack = (NetTcpBinding_IEcho_EchoParamStruct *)_stackStruct;
    NetTcpBinding_IEcho_EchoCallback _operation = (NetTcpBinding_IEcho_EchoCallback)_callback;
    return _operation(_context, _stack->text, &(_stack->EchoResult), _asyncContext, _error);
}

typedef struct _NetTcpBinding_IEcho_DelayParamStruct {
    int ms;
    int DelayResult;
} NetTcpBinding_IEcho_DelayParamStruct;

static HRESULT CALLBACK NetTcpBinding_IEcho_DelayOperationStub(const WS_OPERATION_CONTEXT *_context,
                                                               void *_stackStruct, const void *_callback,
                                                               const WS_ASYNC_CONTEXT *_asyncContext, WS_ERROR *_error)
{
    NetTcpBinding_IEcho_DelayParamStruct *_stack = (NetTcpBinding_IEcho_DelayParamStruct *)_stackStruct;
    NetTcpBinding_IEcho_DelayCallback _operation = (NetTcpBinding_IEcho_DelayCallback)_callback;
    return _operation(_context, _stack->ms, &(_stack->DelayResult), _asyncContext, _error);
}

static WS_PARAMETER_DESCRIPTION binaryParams[] = {
    { WS_PARAMETER_TYPE_NORMAL, 0, 0xffff }, { WS_PARAMETER_TYPE_NORMAL, 1, 0xffff }, { WS_PARAMETER_TYPE_NORMAL, 0xffff, 0 } };
static WS_PARAMETER_DESCRIPTION unaryParams[] = {
    { WS_PARAMETER_TYPE_NORMAL, 0, 0xffff }, { WS_PARAMETER_TYPE_NORMAL, 0xffff, 0 } };
#define OPERATION(var, in, out, params, stub) \
    static WS_OPERATION_DESCRIPTION var = { 1, &in, &out, 0, 0, WsCountOf(params), params, stub, WS_NON_RPC_LITERAL_OPERATION }
OPERATION(addOperation, AddIn, AddOut, binaryParams, NetTcpBinding_ICalculator_BinaryOperationStub);
OPERATION(subtractOperation, SubtractIn, SubtractOut, binaryParams, NetTcpBinding_ICalculator_BinaryOperationStub);
OPERATION(multiplyOperation, MultiplyIn, MultiplyOut, binaryParams, NetTcpBinding_ICalculator_BinaryOperationStub);
OPERATION(divideOperation, DivideIn, DivideOut, binaryParams, NetTcpBinding_ICalculator_BinaryOperationStub);
OPERATION(scaleOperation, scaleIn, scaleOut, binaryParams, NetTcpBinding_ICalculator_ScaleOperationStub);
OPERATION(echoOperation, echoIn, echoOut, unaryParams, NetTcpBinding_IEcho_EchoOperationStub);
OPERATION(delayOperation, delayIn, delayOut, unaryParams, NetTcpBinding_IEcho_DelayOperationStub);

static WS_OPERATION_DESCRIPTION *calcOperations[] = { &addOperation, &subtractOperation, &multiplyOperation,
                                                      &divideOperation, &scaleOperation };
static WS_CONTRACT_DESCRIPTION calcContract = { WsCountOf(calcOperations), calcOperations };
static WS_OPERATION_DESCRIPTION *echoOperations[] = { &echoOperation, &delayOperation };
static WS_CONTRACT_DESCRIPTION echoContract = { WsCountOf(echoOperations), echoOperations };

/* ---- the service ------------------------------------------------------------------ */
static const char *denied = NULL;

/* the caller's principal, "anonymous" without transport security */
static const char *Caller(const WS_OPERATION_CONTEXT *context)
{
    WS_MESSAGE *message = NULL;
    HANDLE token = NULL;
    if (FAILED(WsGetOperationContextProperty(context, WS_OPERATION_CONTEXT_PROPERTY_INPUT_MESSAGE, &message,
                                             sizeof(message), NULL)) ||
        FAILED(WsGetMessageProperty(message, WS_MESSAGE_PROPERTY_TRANSPORT_SECURITY_WINDOWS_TOKEN, &token,
                                    sizeof(token), NULL)))
        return "anonymous";
    const char *p = ntcp_wws_token_principal(token);
    return p && *p ? p : "anonymous";
}

static HRESULT CALLBACK Authorize(const WS_OPERATION_CONTEXT *context, BOOL *authorized, WS_ERROR *error)
{
    const char *who = Caller(context);
    printf("authorize %s\n", who);
    fflush(stdout);
    *authorized = denied == NULL || strcmp(denied, who) != 0;
    return S_OK;
}

static HRESULT CALLBACK Add_(const WS_OPERATION_CONTEXT *c, double a, double b, double *r, const WS_ASYNC_CONTEXT *x,
                             WS_ERROR *e)
{
    *r = a + b;
    return S_OK;
}
static HRESULT CALLBACK Subtract_(const WS_OPERATION_CONTEXT *c, double a, double b, double *r,
                                  const WS_ASYNC_CONTEXT *x, WS_ERROR *e)
{
    *r = a - b;
    return S_OK;
}
static HRESULT CALLBACK Multiply_(const WS_OPERATION_CONTEXT *c, double a, double b, double *r,
                                  const WS_ASYNC_CONTEXT *x, WS_ERROR *e)
{
    *r = a * b;
    return S_OK;
}
static HRESULT CALLBACK Divide_(const WS_OPERATION_CONTEXT *c, double a, double b, double *r, const WS_ASYNC_CONTEXT *x,
                                WS_ERROR *error)
{
    if (b == 0) { /* a failing HRESULT with an error string: a fault with no detail */
        WS_STRING s = WS_STRING_VALUE(L"Divide by zero");
        WsAddErrorString(error, &s);
        return E_INVALIDARG;
    }
    *r = a / b;
    return S_OK;
}
static HRESULT CALLBACK Scale_(const WS_OPERATION_CONTEXT *c, int factor, double value, double *r,
                               const WS_ASYNC_CONTEXT *x, WS_ERROR *e)
{
    *r = factor * value;
    return S_OK;
}

/* Delay's gate: Echo("release") opens it for every Delay, now and later */
static pthread_mutex_t gateMu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t gateCv = PTHREAD_COND_INITIALIZER;
static int released;

static HRESULT CALLBACK Echo_(const WS_OPERATION_CONTEXT *context, WCHAR *text, WCHAR **result,
                              const WS_ASYNC_CONTEXT *x, WS_ERROR *error)
{
    WS_HEAP *heap = NULL;
    HRESULT hr = WsGetOperationContextProperty(context, WS_OPERATION_CONTEXT_PROPERTY_HEAP, &heap, sizeof(heap), error);
    if (FAILED(hr)) return hr;
    if (!wcscmp(text, L"release")) {
        pthread_mutex_lock(&gateMu);
        released = 1;
        pthread_cond_broadcast(&gateCv);
        pthread_mutex_unlock(&gateMu);
    }
    const char *who = Caller(context);
    size_t n = wcslen(text) + strlen(who) + 32;
    WCHAR *out = NULL;
    hr = WsAlloc(heap, n * sizeof(WCHAR), (void **)&out, error);
    if (FAILED(hr)) return hr;
    swprintf(out, n, L"echo:%ls (caller=%s)", text, who);
    *result = out;
    return S_OK;
}

static HRESULT CALLBACK Delay_(const WS_OPERATION_CONTEXT *context, int ms, int *result, const WS_ASYNC_CONTEXT *x,
                               WS_ERROR *error)
{
    if (ms < 0 || ms > 60000) { /* FaultException<string>: the reason from the error string, the detail typed */
        WS_STRING reason = WS_STRING_VALUE(L"Delay expects ms, a whole number from 0 to 60000");
        WsAddErrorString(error, &reason);
        WCHAR *detail = L"ms must be from 0 to 60000";
        HRESULT hr = WsSetFaultErrorDetail(error, &delayFault, WS_WRITE_REQUIRED_POINTER, &detail, sizeof(detail));
        return FAILED(hr) ? hr : E_INVALIDARG;
    }
    printf("delay %d\n", ms);
    fflush(stdout);
    /* a stub may block: this one until Echo("release") or ms pass, whichever comes first */
    struct timespec end;
    clock_gettime(CLOCK_REALTIME, &end);
    long long ns = end.tv_nsec + (ms % 1000) * 1000000LL;
    end.tv_sec += ms / 1000 + (time_t)(ns / 1000000000);
    end.tv_nsec = (long)(ns % 1000000000);
    pthread_mutex_lock(&gateMu);
    while (!released && pthread_cond_timedwait(&gateCv, &gateMu, &end) == 0)
        ;
    pthread_mutex_unlock(&gateMu);
    *result = ms;
    return S_OK;
}

/* IEcho's default message handler: any other action is answered with its body, as it came */
static WS_XML_STRING defaultReplyAction = WS_XML_STRING_VALUE("http://tempuri.org/IEcho/DefaultResponse");
static WS_ELEMENT_DESCRIPTION anyBody = { NULL, NULL, WS_XML_BUFFER_TYPE, NULL };
static WS_MESSAGE_DESCRIPTION defaultReply = { &defaultReplyAction, &anyBody };

static HRESULT CALLBACK Default_(const WS_OPERATION_CONTEXT *context, const WS_ASYNC_CONTEXT *x, WS_ERROR *error)
{
    WS_CHANNEL *channel = NULL;
    WS_MESSAGE *request = NULL, *reply = NULL;
    WS_HEAP *heap = NULL;
    WS_XML_BUFFER *body = NULL;
    HRESULT hr = WsGetOperationContextProperty(context, WS_OPERATION_CONTEXT_PROPERTY_CHANNEL, &channel, sizeof(channel), error);
    if (SUCCEEDED(hr))
        hr = WsGetOperationContextProperty(context, WS_OPERATION_CONTEXT_PROPERTY_INPUT_MESSAGE, &request, sizeof(request), error);
    if (SUCCEEDED(hr)) hr = WsGetOperationContextProperty(context, WS_OPERATION_CONTEXT_PROPERTY_HEAP, &heap, sizeof(heap), error);
    if (SUCCEEDED(hr)) hr = WsReadBody(request, &anyBody, WS_READ_REQUIRED_POINTER, heap, &body, sizeof(body), error);
    if (SUCCEEDED(hr)) hr = WsCreateMessageForChannel(channel, NULL, 0, &reply, error);
    if (SUCCEEDED(hr))
        hr = WsSendReplyMessage(channel, reply, &defaultReply, WS_WRITE_REQUIRED_POINTER, &body, sizeof(body), request,
                                NULL, error);
    if (reply != NULL) WsFreeMessage(reply);
    return hr;
}

static const NetTcpBinding_ICalculatorFunctionTable calcFunctions = { Add_, Subtract_, Multiply_, Divide_, Scale_ };
static const NetTcpBinding_IEchoFunctionTable echoFunctions = { Echo_, Delay_ };

static void PrintError(HRESULT errorCode, WS_ERROR *error)
{
    printf("failure: 0x%08x\n", (unsigned)errorCode);
    ULONG count = 0;
    if (error != NULL && SUCCEEDED(WsGetErrorProperty(error, WS_ERROR_PROPERTY_STRING_COUNT, &count, sizeof(count))))
        for (ULONG i = 0; i < count; i++) {
            WS_STRING s;
            if (SUCCEEDED(WsGetErrorString(error, i, &s))) printf("%.*ls\n", (int)s.length, s.chars);
        }
    fflush(stdout);
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
    if (argc < 3) {
        fprintf(stderr, "usage: calc_service BASE-URL none|sspi [DENIED-PRINCIPAL]\n");
        return 2;
    }
    setlocale(LC_CTYPE, "C.UTF-8");
    denied = argc > 3 ? argv[3] : NULL;
    BOOL secure = !strcmp(argv[2], "sspi");
    sigset_t stop;
    sigemptyset(&stop);
    sigaddset(&stop, SIGTERM);
    sigaddset(&stop, SIGINT);
    pthread_sigmask(SIG_BLOCK, &stop, NULL); /* the host's threads too: main waits for them */

    HRESULT hr;
    WS_ERROR *error = NULL;
    WS_SERVICE_HOST *host = NULL;
    size_t n = strlen(argv[1]) + 8;
    char *calcUrl = malloc(n), *echoUrl = malloc(n);
    snprintf(calcUrl, n, "%s/calc", argv[1]);
    snprintf(echoUrl, n, "%s/echo", argv[1]);
    WCHAR *calcW = Wide(calcUrl), *echoW = Wide(echoUrl);

    WS_TCP_SSPI_TRANSPORT_SECURITY_BINDING sspiBinding;
    memset(&sspiBinding, 0, sizeof sspiBinding);
    sspiBinding.binding.bindingType = WS_TCP_SSPI_TRANSPORT_SECURITY_BINDING_TYPE;
    WS_SECURITY_BINDING *securityBindings[1] = { &sspiBinding.binding };
    WS_SECURITY_DESCRIPTION securityDescription = { securityBindings, WsCountOf(securityBindings), NULL, 0 };

    WS_SERVICE_CONTRACT calcServiceContract = { &calcContract, NULL, &calcFunctions };
    WS_SERVICE_CONTRACT echoServiceContract = { &echoContract, Default_, &echoFunctions };
    WS_SERVICE_ENDPOINT calcEndpoint, echoEndpoint;
    memset(&calcEndpoint, 0, sizeof calcEndpoint);
    calcEndpoint.address.url.chars = calcW;
    calcEndpoint.address.url.length = (ULONG)wcslen(calcW);
    calcEndpoint.channelBinding = WS_TCP_CHANNEL_BINDING;
    calcEndpoint.channelType = WS_CHANNEL_TYPE_DUPLEX_SESSION;
    calcEndpoint.securityDescription = secure ? &securityDescription : NULL;
    calcEndpoint.contract = &calcServiceContract;
    calcEndpoint.authorizationCallback = Authorize;
    echoEndpoint = calcEndpoint;
    echoEndpoint.address.url.chars = echoW;
    echoEndpoint.address.url.length = (ULONG)wcslen(echoW);
    echoEndpoint.contract = &echoServiceContract;
    const WS_SERVICE_ENDPOINT *endpoints[] = { &calcEndpoint, &echoEndpoint };
    WS_FAULT_DISCLOSURE disclosure = WS_FULL_FAULT_DISCLOSURE;
    WS_SERVICE_PROPERTY properties[] = { { WS_SERVICE_PROPERTY_FAULT_DISCLOSURE, &disclosure, sizeof(disclosure) } };

    hr = WsCreateError(NULL, 0, &error);
    if (FAILED(hr)) goto Exit;
    hr = WsCreateServiceHost(endpoints, 2, properties, WsCountOf(properties), &host, error);
    if (FAILED(hr)) goto Exit;
    hr = WsOpenServiceHost(host, NULL, error);
    if (FAILED(hr)) goto Exit;
    for (USHORT i = 0; i < 2; i++) {
        const char *u = i ? echoUrl : calcUrl;
        const char *p = strstr(u, ":0/");
        if (p != NULL)
            printf("listening on %.*s:%u%s\n", (int)(p - u), u, (unsigned)ntcp_wws_service_host_port(host, i), p + 2);
        else
            printf("listening on %s\n", u);
    }
    fflush(stdout);
    int sig = 0;
    sigwait(&stop, &sig);
    hr = WsCloseServiceHost(host, NULL, error);
    if (SUCCEEDED(hr)) printf("closed\n");

Exit:
    if (FAILED(hr)) PrintError(hr, error);
    if (host != NULL) WsFreeServiceHost(host);
    if (error != NULL) WsFreeError(error);
    free(calcUrl), free(echoUrl), free(calcW), free(echoW);
    return FAILED(hr) ? 1 : 0;
}
