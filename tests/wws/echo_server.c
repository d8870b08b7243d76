/* A WWSAPI service at the channel level, in the style of the Windows SDK
 * samples: a TCP listener (optionally secured with
 * WS_TCP_SSPI_TRANSPORT_SECURITY_BINDING, the service's keys from
 * KRB5_KTNAME), each accepted channel answers IEcho.Echo requests with an
 * EchoResponse wrapping the request's body, until the client closes its
 * session. Built against the installed <webservices.h> (pkg-config nettcp-wws).
 *
 * usage: echo_server URL SESSIONS [none|sspi]
 * Prints "listening on URL" (with the port taken when URL gives port 0),
 * "received ACTION" per request, "session ended" per session, then exits. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <wchar.h>
#include <webservices.h>
#include <nettcp_wws.h>

static void PrintError(HRESULT errorCode, WS_ERROR *error)
{
    printf("failure: 0x%08x\n", (unsigned)errorCode);
    if (error != NULL) {
        ULONG errorCount;
        HRESULT hr = WsGetErrorProperty(error, WS_ERROR_PROPERTY_STRING_COUNT, &errorCount, sizeof(errorCount));
        if (FAILED(hr)) return;
        for (ULONG i = 0; i < errorCount; i++) {
            WS_STRING string;
            hr = WsGetErrorString(error, i, &string);
            if (FAILED(hr)) return;
            printf("%.*ls\n", (int)string.length, string.chars);
        }
    }
    fflush(stdout);
}

static WS_XML_STRING echoAction = WS_XML_STRING_VALUE("http://tempuri.org/IEcho/Echo");
static WS_XML_STRING echoReplyAction = WS_XML_STRING_VALUE("http://tempuri.org/IEcho/EchoResponse");
static WS_XML_STRING echoNs = WS_XML_STRING_VALUE("http://tempuri.org/");
static WS_XML_STRING echoResponse = WS_XML_STRING_VALUE("EchoResponse");
static WS_XML_STRING emptyPrefix = WS_XML_STRING_VALUE("");

int main(int argc, char **argv)
{
    HRESULT hr = S_OK;
    WS_ERROR *error = NULL;
    WS_HEAP *heap = NULL;
    WS_LISTENER *listener = NULL;
    WS_CHANNEL *channel = NULL;
    WS_MESSAGE *requestMessage = NULL, *replyMessage = NULL;
    WS_XML_WRITER *writer = NULL;
    if (argc < 3) {
        fprintf(stderr, "usage: echo_server URL SESSIONS [none|sspi]\n");
        return 2;
    }
    int sessions = atoi(argv[2]);
    BOOL secure = argc > 3 && !strcmp(argv[3], "sspi");

    hr = WsCreateError(NULL, 0, &error);
    if (FAILED(hr)) goto Exit;
    hr = WsCreateHeap(1 << 20, 512, NULL, 0, &heap, error);
    if (FAILED(hr)) goto Exit;

    WS_TCP_SSPI_TRANSPORT_SECURITY_BINDING sspiBinding;
    memset(&sspiBinding, 0, sizeof sspiBinding);
    sspiBinding.binding.bindingType = WS_TCP_SSPI_TRANSPORT_SECURITY_BINDING_TYPE;
    WS_SECURITY_BINDING *securityBindings[1] = { &sspiBinding.binding };
    WS_SECURITY_DESCRIPTION securityDescription;
    memset(&securityDescription, 0, sizeof securityDescription);
    securityDescription.securityBindings = securityBindings;
    securityDescription.securityBindingCount = WsCountOf(securityBindings);
    hr = WsCreateListener(WS_CHANNEL_TYPE_DUPLEX_SESSION, WS_TCP_CHANNEL_BINDING, NULL, 0,
                          secure ? &securityDescription : NULL, &listener, error);
    if (FAILED(hr)) goto Exit;

    size_t n = mbstowcs(NULL, argv[1], 0);
    WS_STRING url = { (ULONG)n, calloc(n + 1, sizeof(WCHAR)) };
    mbstowcs(url.chars, argv[1], n + 1);
    hr = WsOpenListener(listener, &url, NULL, error);
    free(url.chars);
    if (FAILED(hr)) goto Exit;
    const char *path = strchr(argv[1] + strlen("net.tcp://"), '/');
    printf("listening on net.tcp://127.0.0.1:%u%s\n", (unsigned)ntcp_wws_listener_port(listener), path ? path : "/");
    fflush(stdout);

    hr = WsCreateChannelForListener(listener, NULL, 0, &channel, error);
    if (FAILED(hr)) goto Exit;
    hr = WsCreateMessageForChannel(channel, NULL, 0, &requestMessage, error);
    if (FAILED(hr)) goto Exit;
    hr = WsCreateMessageForChannel(channel, NULL, 0, &replyMessage, error);
    if (FAILED(hr)) goto Exit;
    hr = WsCreateWriter(NULL, 0, &writer, error);
    if (FAILED(hr)) goto Exit;

    WS_ELEMENT_DESCRIPTION anyElement = { NULL, NULL, WS_XML_BUFFER_TYPE, NULL };
    WS_MESSAGE_DESCRIPTION echoDescription = { &echoAction, &anyElement };
    const WS_MESSAGE_DESCRIPTION *requestDescriptions[] = { &echoDescription };
    WS_MESSAGE_DESCRIPTION replyDescription = { &echoReplyAction, &anyElement };
    for (int s = 0; s < sessions; s++) {
        hr = WsAcceptChannel(listener, channel, NULL, error);
        if (FAILED(hr)) goto Exit;
        for (;;) {
            WS_XML_BUFFER *requestBody = NULL, *replyBody = NULL;
            ULONG index = 0;
            hr = WsReceiveMessage(channel, requestMessage, requestDescriptions, WsCountOf(requestDescriptions),
                                  WS_RECEIVE_REQUIRED_MESSAGE, WS_READ_REQUIRED_POINTER, heap, &requestBody,
                                  sizeof(requestBody), &index, NULL, error);
            if (hr == WS_S_END) break; /* the client closed its session */
            if (FAILED(hr)) goto Exit;
            printf("received %.*s\n", (int)echoAction.length, (const char *)echoAction.bytes);
            fflush(stdout);
            /* the reply: <EchoResponse> around the request's body */
            hr = WsCreateXmlBuffer(heap, NULL, 0, &replyBody, error);
            if (SUCCEEDED(hr)) hr = WsSetOutputToBuffer(writer, replyBody, NULL, 0, error);
            if (SUCCEEDED(hr)) hr = WsWriteStartElement(writer, &emptyPrefix, &echoResponse, &echoNs, error);
            if (SUCCEEDED(hr)) hr = WsWriteXmlBuffer(writer, requestBody, error);
            if (SUCCEEDED(hr)) hr = WsWriteEndElement(writer, error);
            if (SUCCEEDED(hr))
                hr = WsSendReplyMessage(channel, replyMessage, &replyDescription, WS_WRITE_REQUIRED_POINTER,
                                        &replyBody, sizeof(replyBody), requestMessage, NULL, error);
            if (FAILED(hr)) goto Exit;
            WsResetMessage(requestMessage, NULL);
            WsResetMessage(replyMessage, NULL);
            WsResetHeap(heap, NULL);
        }
        printf("session ended\n");
        fflush(stdout);
        hr = WsCloseChannel(channel, NULL, error);
        if (FAILED(hr)) goto Exit;
        hr = WsResetChannel(channel, error);
        if (FAILED(hr)) goto Exit;
        WsResetMessage(requestMessage, NULL);
    }
    hr = WsCloseListener(listener, NULL, error);

Exit:
    if (FAILED(hr)) PrintError(hr, error);
    if (writer != NULL) WsFreeWriter(writer);
    if (requestMessage != NULL) WsFreeMessage(requestMessage);
    if (replyMessage != NULL) WsFreeMessage(replyMessage);
    if (channel != NULL) WsFreeChannel(channel);
    if (listener != NULL) WsFreeListener(listener);
    if (heap != NULL) WsFreeHeap(heap);
    if (error != NULL) WsFreeError(error);
    return FAILED(hr) ? 1 : 0;
}
