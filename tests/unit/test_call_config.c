/* nettcp call --config: what each setting of a WCF client configuration
 * becomes in the client options (tools/call_config.c), exactly. */
#include <limits.h>
#include <stdlib.h>
#include "test.h"
#include <nettcp/client.h>
#include "../../tools/call_config.h"

static ntcp_status load(const char *xml, const char *name, ntcp_client_options *o, struct call_config *cfg,
                        ntcp_error *err)
{
    ntcp_client_options_init(o);
    memset(cfg, 0, sizeof *cfg);
    return call_config_load_memory(xml, strlen(xml), "app.config", name, o, cfg, err);
}

#define HEAD "<configuration><system.serviceModel><bindings>"
#define MID "</bindings><behaviors><endpointBehaviors><behavior name=\"b\"><clientCredentials>" \
    "<windows allowedImpersonationLevel=\"Delegation\" allowNtlm=\"true\"/><serviceCertificate>" \
    "<authentication certificateValidationMode=\"PeerTrust\" revocationMode=\"Offline\"/></serviceCertificate>" \
    "</clientCredentials></behavior></endpointBehaviors></behaviors><client>"
#define TAIL "</client></system.serviceModel></configuration>"

TEST(call_config_nettcp_binding_exact)
{
    static const char xml[] = HEAD
        "<netTcpBinding><binding name=\"w\" maxReceivedMessageSize=\"1048576\" maxBufferSize=\"524288\" "
        "openTimeout=\"00:00:30\" sendTimeout=\"1.00:01:00.5\" receiveTimeout=\"Infinite\" closeTimeout=\"00:10\" "
        "transferMode=\"Streamed\"><readerQuotas maxDepth=\"64\" maxStringContentLength=\"65536\" "
        "maxArrayLength=\"7\" maxNameTableCharCount=\"9\"/><security mode=\"Transport\"><transport "
        "clientCredentialType=\"Windows\" protectionLevel=\"Sign\"/></security></binding></netTcpBinding>" MID
        "<endpoint address=\"net.tcp://h:808/s\" binding=\"netTcpBinding\" bindingConfiguration=\"w\" "
        "behaviorConfiguration=\"b\" contract=\"IC\" name=\"e\"><identity><userPrincipalName value=\"svc@EX.COM\"/>"
        "</identity></endpoint>" TAIL;
    ntcp_client_options o;
    struct call_config cfg;
    ntcp_error err;
    CHECK_EQ_INT(load(xml, NULL, &o, &cfg, &err), NTCP_OK);
    CHECK_EQ_STR(cfg.address, "net.tcp://h:808/s");
    CHECK_EQ_STR(cfg.name, "e");
    CHECK_EQ_STR(cfg.contract, "IC");
    CHECK_EQ_STR(o.nns.identity, "upn:svc@EX.COM");
    CHECK_EQ_STR(o.tls.identity, "upn:svc@EX.COM");
    CHECK_EQ_INT(o.security, NTCP_SECURITY_TRANSPORT);
    CHECK_EQ_INT(o.credential, NTCP_CREDENTIAL_WINDOWS);
    CHECK_EQ_INT(o.nns.protection, NTCP_PROTECTION_SIGN);
    CHECK_EQ_INT(o.channel.limits.max_message, 524288); /* the smaller of the two */
    CHECK_EQ_INT(o.xml.max_size, 524288);
    CHECK_EQ_INT(o.xml.max_depth, 64);
    CHECK_EQ_INT(o.xml.max_string_len, 65536);
    CHECK_EQ_INT(o.xml.max_array_len, 7);
    CHECK_EQ_INT(o.xml.max_name_chars, 9);
    CHECK_EQ_INT(o.channel.open_timeout_ms, 30000);
    CHECK_EQ_INT(o.channel.send_timeout_ms, 86460500);
    CHECK_EQ_INT(o.channel.receive_timeout_ms, 86460500); /* the reply within sendTimeout */
    CHECK_EQ_INT(o.channel.close_timeout_ms, 600000);
    CHECK_EQ_INT(o.channel.mode, NTCP_MODE_SINGLETON_UNSIZED);
    CHECK_EQ_INT(o.channel.encoding, NTCP_ENC_BINARY);
    CHECK_EQ_INT(o.nns.allowed_impersonation, NTCP_IMPERSONATION_DELEGATION);
    CHECK_EQ_INT(o.tls.validation, NTCP_TLS_VALIDATION_PEER);
    CHECK_EQ_INT(o.tls.revocation, NTCP_TLS_REVOCATION_OFFLINE);
    CHECK_EQ_INT(cfg.set, CALL_CONFIG_SECURITY | CALL_CONFIG_IDENTITY | CALL_CONFIG_LIMITS | CALL_CONFIG_TIMEOUTS |
                              CALL_CONFIG_MODE);
    call_config_free(&cfg);
}

TEST(call_config_defaults_custom_and_mex)
{
    /* no bindingConfiguration: NetTcpBinding's defaults, WCF's quota */
    static const char dflt[] = HEAD MID "<endpoint address=\"net.tcp://h/s\" binding=\"netTcpBinding\" "
                                        "contract=\"IC\" name=\"e\"/>" TAIL;
    ntcp_client_options o, d;
    ntcp_client_options_init(&d);
    struct call_config cfg;
    ntcp_error err;
    CHECK_EQ_INT(load(dflt, "e", &o, &cfg, &err), NTCP_OK);
    CHECK_EQ_INT(o.security, NTCP_SECURITY_TRANSPORT);
    CHECK_EQ_INT(o.credential, NTCP_CREDENTIAL_WINDOWS);
    CHECK_EQ_INT(o.nns.protection, NTCP_PROTECTION_ENCRYPT_AND_SIGN);
    CHECK_EQ_INT(o.channel.limits.max_message, 65536);
    CHECK_EQ_INT(o.channel.open_timeout_ms, d.channel.open_timeout_ms);
    CHECK_EQ_INT(o.channel.receive_timeout_ms, d.channel.send_timeout_ms);
    CHECK(o.nns.identity == NULL);
    call_config_free(&cfg);
    /* customBinding with sslStreamSecurity and a client certificate; thumbprint identity as Windows copies it */
    static const char custom[] = HEAD
        "<customBinding><binding name=\"c\"><binaryMessageEncoding maxSessionSize=\"4096\"/>"
        "<sslStreamSecurity requireClientCertificate=\"true\" sslProtocols=\"Tls12, Tls13\"/>"
        "<tcpTransport maxReceivedMessageSize=\"100000\"/></binding></customBinding>" MID
        "<endpoint address=\"net.tcp://h/s\" binding=\"customBinding\" bindingConfiguration=\"c\" contract=\"IC\" "
        "name=\"e\"><identity><certificateReference x509FindType=\"FindByThumbprint\" "
        "findValue=\"\xE2\x80\x8E" "0a 1B 2c\"/></identity></endpoint>" TAIL;
    CHECK_EQ_INT(load(custom, "e", &o, &cfg, &err), NTCP_OK);
    CHECK_EQ_INT(o.security, NTCP_SECURITY_TRANSPORT);
    CHECK_EQ_INT(o.credential, NTCP_CREDENTIAL_CERTIFICATE);
    CHECK_EQ_INT(o.tls.min_version, 0x0303);
    CHECK_EQ_INT(o.tls.max_version, 0x0304);
    CHECK_EQ_INT(o.xml.max_session_size, 4096);
    CHECK_EQ_INT(o.channel.limits.max_message, 100000);
    CHECK_EQ_STR(o.tls.identity, "thumbprint:0a1B2c");
    call_config_free(&cfg);
    /* mexTcpBinding: security None */
    static const char mex[] = HEAD MID "<endpoint address=\"net.tcp://h/s/mex\" binding=\"mexTcpBinding\" "
                                       "contract=\"IMetadataExchange\" name=\"m\"/>" TAIL;
    CHECK_EQ_INT(load(mex, "m", &o, &cfg, &err), NTCP_OK);
    CHECK_EQ_INT(o.security, NTCP_SECURITY_NONE);
    call_config_free(&cfg);
}

TEST(call_config_timespans)
{
    static const struct {
        const char *v;
        int ms; /* -1: refused */
    } cases[] = { { "00:01:00", 60000 },   { "1", 86400000 },      { "00:00:00.0000001", 0 },
                  { "00:00:01.5", 1500 },  { "23:59:59", 86399000 }, { "Infinite", INT_MAX },
                  { "24:00:00", -1 },     { "00:60:00", -1 },     { "-00:00:01", -1 },
                  { "1:2:3:4", -1 },      { "", -1 },             { "10675199", INT_MAX },
                  { "10675199.00:00:00", INT_MAX }, { "10675200", -1 } /* past TimeSpan.MaxValue */, { "00:00:01.", -1 } };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char xml[1200];
        snprintf(xml, sizeof xml,
                 HEAD "<netTcpBinding><binding name=\"w\" openTimeout=\"%s\"/></netTcpBinding>" MID
                      "<endpoint address=\"net.tcp://h/s\" binding=\"netTcpBinding\" bindingConfiguration=\"w\" "
                      "contract=\"IC\" name=\"e\"/>" TAIL,
                 cases[i].v);
        ntcp_client_options o;
        struct call_config cfg;
        ntcp_error err;
        ntcp_status st = load(xml, "e", &o, &cfg, &err);
        if (cases[i].ms < 0) {
            if (st == NTCP_OK || strcmp(ntcp_error_id(&err), "config_invalid"))
                ntcp_test_fail(__FILE__, __LINE__, "openTimeout=\"%s\" accepted", cases[i].v);
        } else if (st != NTCP_OK || o.channel.open_timeout_ms != cases[i].ms) {
            ntcp_test_fail(__FILE__, __LINE__, "openTimeout=\"%s\": %d ms, want %d (%s)", cases[i].v,
                           o.channel.open_timeout_ms, cases[i].ms, ntcp_error_text(&err));
        }
        call_config_free(&cfg);
    }
}
