/* A WWSAPI client in the style of the Windows SDK samples: a TCP channel,
 * optionally secured with WS_TCP_SSPI_TRANSPORT_SECURITY_BINDING, one
 * request/reply whose body is written with the XML writer into an XML
 * buffer, the reply body read back as an XML buffer. Built against the
 * installed <webservices.h> (pkg-config nettcp-wws).
 *
 * usage: calc_client URL OPERATION [options]
 *   OPERATION  add | echo | nope (an Echo body to an action the service lacks)
 *   --security none|sspi   (default sspi)
 *   --spn S | --upn U | --dns D   the endpoint identity
 *   --user U --password P [--domain D]   WS_STRING_WINDOWS_INTEGRATED_AUTH_CREDENTIAL
 *                           (default: WS_DEFAULT_WINDOWS_INTEGRATED_AUTH_CREDENTIAL)
 *   --opaque               WS_OPAQUE_WINDOWS_INTEGRATED_AUTH_CREDENTIAL
 *   --package kerberos|ntlm|spnego
 *   --no-server-auth       WS_SECURITY_BINDING_PROPERTY_REQUIRE_SERVER_AUTH = FALSE
 *   --impersonation identify|impersonate|delegate
 *   --heap BYTES           the reply heap's maximum size (default 65536)
 * Prints the reply body, or "failure: 0x...", then every error string. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <wchar.h>
#include <webservices.h>

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
}

/* argument -> WS_STRING (the characters are freed at exit: FreeStrings) */
static WCHAR *allocated[8];
static int allocatedCount;

static WS_STRING ToWsString(const char *s)
{
    WS_STRING out = { 0, NULL };
    size_t n = mbstowcs(NULL, s, 0);
    if (n == (size_t)-1 || allocatedCount == WsCountOf(allocated)) return out;
    out.chars = calloc(n + 1, sizeof(WCHAR));
    if (out.chars == NULL) return out;
    allocated[allocatedCount++] = out.chars;
    mbstowcs(out.chars, s, n + 1);
    out.length = (ULONG)n;
    return out;
}

static WS_XML_STRING addAction = WS_XML_STRING_VALUE("http://Microsoft.ServiceModel.Samples/ICalculator/Add");
static WS_XML_STRING addReplyAction =
    WS_XML_STRING_VALUE("http://Microsoft.ServiceModel.Samples/ICalculator/AddResponse");
static WS_XML_STRING echoAction = WS_XML_STRING_VALUE("http://tempuri.org/IEcho/Echo");
static WS_XML_STRING nopeAction = WS_XML_STRING_VALUE("http://tempuri.org/IEcho/Nope");
static WS_XML_STRING echoReplyAction = WS_XML_STRING_VALUE("http://tempuri.org/IEcho/EchoResponse");
static WS_XML_STRING calcNs = WS_XML_STRING_VALUE("http://Microsoft.ServiceModel.Samples");
static WS_XML_STRING echoNs = WS_XML_STRING_VALUE("http://tempuri.org/");
static WS_XML_STRING emptyPrefix = WS_XML_STRING_VALUE("");

static HRESULT WriteElement(WS_XML_WRITER *writer, const char *name, WS_XML_STRING *ns, const char *text,
                            WS_ERROR *error)
{
    WS_XML_STRING localName = { (ULONG)strlen(name), (BYTE *)name, NULL, 0 };
    HRESULT hr = WsWriteStartElement(writer, &emptyPrefix, &localName, ns, error);
    if (FAILED(hr)) return hr;
    if (text != NULL) {
        hr = WsWriteCharsUtf8(writer, (const BYTE *)text, (ULONG)strlen(text), error);
        if (FAILED(hr)) return hr;
    }
    return S_OK;
}

int main(int argc, char **argv)
{
    HRESULT hr = S_OK;
    WS_ERROR *error = NULL;
    WS_HEAP *heap = NULL, *replyHeap = NULL;
    WS_CHANNEL *channel = NULL;
    WS_MESSAGE *requestMessage = NULL, *replyMessage = NULL;
    WS_XML_WRITER *writer = NULL;
    WS_XML_BUFFER *requestBody = NULL, *replyBody = NULL;
    if (argc < 3) {
        fprintf(stderr, "usage: calc_client URL add|echo|nope [options]\n");
        return 2;
    }
    const char *url = argv[1], *operation = argv[2];
    const char *security = "sspi", *spn = NULL, *upn = NULL, *dns = NULL, *user = NULL, *password = "",
               *domain = "", *package = NULL, *impersonation = NULL;
    BOOL requireServerAuth = TRUE, opaque = FALSE;
    SIZE_T replyHeapSize = 65536;
    for (int i = 3; i < argc; i++) {
        const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (!strcmp(a, "--no-server-auth")) requireServerAuth = FALSE;
        else if (!strcmp(a, "--opaque")) opaque = TRUE;
        else if (v == NULL) {
            fprintf(stderr, "calc_client: %s needs a value\n", a);
            return 2;
        } else {
            i++;
            if (!strcmp(a, "--security")) security = v;
            else if (!strcmp(a, "--spn")) spn = v;
            else if (!strcmp(a, "--upn")) upn = v;
            else if (!strcmp(a, "--dns")) dns = v;
            else if (!strcmp(a, "--user")) user = v;
            else if (!strcmp(a, "--password")) password = v;
            else if (!strcmp(a, "--domain")) domain = v;
            else if (!strcmp(a, "--package")) package = v;
            else if (!strcmp(a, "--impersonation")) impersonation = v;
            else if (!strcmp(a, "--heap")) replyHeapSize = (SIZE_T)strtoull(v, NULL, 10);
            else {
                fprintf(stderr, "calc_client: unknown option %s\n", a);
                return 2;
            }
        }
    }

    hr = WsCreateError(NULL, 0, &error);
    if (FAILED(hr)) goto Exit;
    hr = WsCreateHeap(65536, 512, NULL, 0, &heap, error);
    if (FAILED(hr)) goto Exit;
    hr = WsCreateHeap(replyHeapSize, 512, NULL, 0, &replyHeap, error);
    if (FAILED(hr)) goto Exit;

    /* the security description: transport security with Windows credentials */
    WS_DEFAULT_WINDOWS_INTEGRATED_AUTH_CREDENTIAL defaultCredential;
    defaultCredential.credential.credentialType = WS_DEFAULT_WINDOWS_INTEGRATED_AUTH_CREDENTIAL_TYPE;
    WS_STRING_WINDOWS_INTEGRATED_AUTH_CREDENTIAL stringCredential;
    stringCredential.credential.credentialType = WS_STRING_WINDOWS_INTEGRATED_AUTH_CREDENTIAL_TYPE;
    WS_OPAQUE_WINDOWS_INTEGRATED_AUTH_CREDENTIAL opaqueCredential;
    opaqueCredential.credential.credentialType = WS_OPAQUE_WINDOWS_INTEGRATED_AUTH_CREDENTIAL_TYPE;
    opaqueCredential.opaqueAuthIdentity = NULL;
    WS_TCP_SSPI_TRANSPORT_SECURITY_BINDING sspiBinding;
    memset(&sspiBinding, 0, sizeof sspiBinding);
    WS_SECURITY_BINDING_PROPERTY bindingProperties[3];
    ULONG bindingPropertyCount = 0;
    WS_WINDOWS_INTEGRATED_AUTH_PACKAGE authPackage = WS_WINDOWS_INTEGRATED_AUTH_PACKAGE_SPNEGO;
    SECURITY_IMPERSONATION_LEVEL impersonationLevel = SecurityIdentification;
    WS_SECURITY_BINDING *securityBindings[1] = { &sspiBinding.binding };
    WS_SECURITY_DESCRIPTION securityDescription;
    memset(&securityDescription, 0, sizeof securityDescription);
    securityDescription.securityBindings = securityBindings;
    securityDescription.securityBindingCount = WsCountOf(securityBindings);
    sspiBinding.binding.bindingType = WS_TCP_SSPI_TRANSPORT_SECURITY_BINDING_TYPE;
    sspiBinding.clientCredential = &defaultCredential.credential;
    if (user != NULL) {
        stringCredential.username = ToWsString(user);
        stringCredential.password = ToWsString(password);
        stringCredential.domain = ToWsString(domain);
        sspiBinding.clientCredential = &stringCredential.credential;
    }
    if (opaque) sspiBinding.clientCredential = &opaqueCredential.credential;
    bindingProperties[bindingPropertyCount].id = WS_SECURITY_BINDING_PROPERTY_REQUIRE_SERVER_AUTH;
    bindingProperties[bindingPropertyCount].value = &requireServerAuth;
    bindingProperties[bindingPropertyCount++].valueSize = sizeof(requireServerAuth);
    if (package != NULL) {
        authPackage = !strcmp(package, "kerberos") ? WS_WINDOWS_INTEGRATED_AUTH_PACKAGE_KERBEROS
                    : !strcmp(package, "ntlm") ? WS_WINDOWS_INTEGRATED_AUTH_PACKAGE_NTLM
                    : WS_WINDOWS_INTEGRATED_AUTH_PACKAGE_SPNEGO;
        bindingProperties[bindingPropertyCount].id = WS_SECURITY_BINDING_PROPERTY_WINDOWS_INTEGRATED_AUTH_PACKAGE;
        bindingProperties[bindingPropertyCount].value = &authPackage;
        bindingProperties[bindingPropertyCount++].valueSize = sizeof(authPackage);
    }
    if (impersonation != NULL) {
        impersonationLevel = !strcmp(impersonation, "delegate") ? SecurityDelegation
                           : !strcmp(impersonation, "impersonate") ? SecurityImpersonation
                           : SecurityIdentification;
        bindingProperties[bindingPropertyCount].id = WS_SECURITY_BINDING_PROPERTY_ALLOWED_IMPERSONATION_LEVEL;
        bindingProperties[bindingPropertyCount].value = &impersonationLevel;
        bindingProperties[bindingPropertyCount++].valueSize = sizeof(impersonationLevel);
    }
    sspiBinding.binding.properties = bindingProperties;
    sspiBinding.binding.propertyCount = bindingPropertyCount;

    hr = WsCreateChannel(WS_CHANNEL_TYPE_DUPLEX_SESSION, WS_TCP_CHANNEL_BINDING, NULL, 0,
                         strcmp(security, "none") ? &securityDescription : NULL, &channel, error);
    if (FAILED(hr)) goto Exit;

    /* the endpoint address, with the service's identity */
    WS_SPN_ENDPOINT_IDENTITY spnIdentity;
    WS_UPN_ENDPOINT_IDENTITY upnIdentity;
    WS_DNS_ENDPOINT_IDENTITY dnsIdentity;
    WS_ENDPOINT_ADDRESS address;
    memset(&address, 0, sizeof address);
    address.url = ToWsString(url);
    if (spn != NULL) {
        spnIdentity.identity.identityType = WS_SPN_ENDPOINT_IDENTITY_TYPE;
        spnIdentity.spn = ToWsString(spn);
        address.identity = &spnIdentity.identity;
    } else if (upn != NULL) {
        upnIdentity.identity.identityType = WS_UPN_ENDPOINT_IDENTITY_TYPE;
        upnIdentity.upn = ToWsString(upn);
        address.identity = &upnIdentity.identity;
    } else if (dns != NULL) {
        dnsIdentity.identity.identityType = WS_DNS_ENDPOINT_IDENTITY_TYPE;
        dnsIdentity.dns = ToWsString(dns);
        address.identity = &dnsIdentity.identity;
    }
    hr = WsOpenChannel(channel, &address, NULL, error);
    if (FAILED(hr)) goto Exit;

    hr = WsCreateMessageForChannel(channel, NULL, 0, &requestMessage, error);
    if (FAILED(hr)) goto Exit;
    hr = WsCreateMessageForChannel(channel, NULL, 0, &replyMessage, error);
    if (FAILED(hr)) goto Exit;

    /* the request body, written with the XML writer */
    BOOL add = !strcmp(operation, "add");
    hr = WsCreateXmlBuffer(heap, NULL, 0, &requestBody, error);
    if (FAILED(hr)) goto Exit;
    hr = WsCreateWriter(NULL, 0, &writer, error);
    if (FAILED(hr)) goto Exit;
    hr = WsSetOutputToBuffer(writer, requestBody, NULL, 0, error);
    if (FAILED(hr)) goto Exit;
    if (add) {
        hr = WriteElement(writer, "Add", &calcNs, NULL, error);
        if (SUCCEEDED(hr)) hr = WriteElement(writer, "n1", &calcNs, "2", error);
        if (SUCCEEDED(hr)) hr = WsWriteEndElement(writer, error);
        if (SUCCEEDED(hr)) hr = WriteElement(writer, "n2", &calcNs, "3", error);
        if (SUCCEEDED(hr)) hr = WsWriteEndElement(writer, error);
    } else {
        hr = WriteElement(writer, "Echo", &echoNs, NULL, error);
        if (SUCCEEDED(hr)) hr = WriteElement(writer, "text", &echoNs, "hello from WWSAPI", error);
        if (SUCCEEDED(hr)) hr = WsWriteEndElement(writer, error);
    }
    if (SUCCEEDED(hr)) hr = WsWriteEndElement(writer, error);
    if (FAILED(hr)) goto Exit;

    /* any element: the buffer is the body */
    WS_ELEMENT_DESCRIPTION bodyDescription = { NULL, NULL, WS_XML_BUFFER_TYPE, NULL };
    WS_MESSAGE_DESCRIPTION requestDescription = { add ? &addAction : !strcmp(operation, "nope") ? &nopeAction : &echoAction,
                                                  &bodyDescription };
    WS_MESSAGE_DESCRIPTION replyDescription = { add ? &addReplyAction : &echoReplyAction, &bodyDescription };
    hr = WsRequestReply(channel, requestMessage, &requestDescription, WS_WRITE_REQUIRED_POINTER, &requestBody,
                        sizeof(requestBody), replyMessage, &replyDescription, WS_READ_REQUIRED_POINTER, replyHeap,
                        &replyBody, sizeof(replyBody), NULL, error);
    if (FAILED(hr)) goto Exit;

    void *bytes;
    ULONG byteCount;
    hr = WsWriteXmlBufferToBytes(writer, replyBody, NULL, NULL, 0, replyHeap, &bytes, &byteCount, error);
    if (FAILED(hr)) goto Exit;
    printf("%.*s\n", (int)byteCount, (const char *)bytes);

    hr = WsCloseChannel(channel, NULL, error);

Exit:
    if (FAILED(hr)) PrintError(hr, error);
    if (channel != NULL) WsFreeChannel(channel);
    if (requestMessage != NULL) WsFreeMessage(requestMessage);
    if (replyMessage != NULL) WsFreeMessage(replyMessage);
    if (writer != NULL) WsFreeWriter(writer);
    if (replyHeap != NULL) WsFreeHeap(replyHeap);
    if (heap != NULL) WsFreeHeap(heap);
    if (error != NULL) WsFreeError(error);
    for (int i = 0; i < allocatedCount; i++) free(allocated[i]);
    return FAILED(hr) ? 1 : 0;
}
