/* One secured client channel (Kerberos, EncryptAndSign) shared by 8 threads
 * against `nettcp serve`: every Echo reply names the text its own request
 * carried, the session's protection holds with calls in flight together.
 * usage: client_threads URL (with a ticket in the default ccache); prints
 * its own "N passed, N failed" line, which call_load.sh checks. */
#include <pthread.h>
#include <string.h>
#include <nettcp/client.h>
#include "e2e.h"

#define THREADS 8
#define CALLS 100

typedef struct job {
    ntcp_client *c;
    int id, ok, wrong, failed;
} job;

static void *run(void *arg)
{
    job *j = arg;
    for (int i = 0; i < CALLS; i++) {
        char body[160], want[64];
        int n = snprintf(body, sizeof body, "<Echo xmlns=\"http://tempuri.org/\"><text>thread %d call %d</text></Echo>",
                         j->id, i);
        snprintf(want, sizeof want, ">thread %d call %d [caller: ", j->id, i);
        ntcp_soap_msg r;
        ntcp_status st = ntcp_client_call(j->c, "http://tempuri.org/IEcho/Echo", NULL, 0, body, (size_t)n, &r);
        if (st) {
            if (!j->failed++)
                fprintf(stderr, "thread %d: %s\n", j->id, ntcp_error_text(ntcp_client_error(j->c)));
        } else if (r.body.len && memmem(r.body.data, r.body.len, want, strlen(want))) {
            j->ok++;
        } else {
            j->wrong++;
        }
        ntcp_soap_msg_clear(&r);
    }
    return NULL;
}

int main(int argc, char **argv)
{
    if (argc != 2) {
        fprintf(stderr, "usage: client_threads URL\n");
        return 2;
    }
    ntcp_client_options o;
    ntcp_client_options_init(&o);
    o.nns.identity = "spn:host/svc.nettcp.test";
    ntcp_client *c = NULL;
    ntcp_error err;
    ntcp_status st = ntcp_client_open(&c, argv[1], &o, &err);
    EXPECT(st == NTCP_OK, "open: %s", ntcp_error_text(&err));
    if (st)
        return e2e_finish();
    const ntcp_nns_result *sec = ntcp_client_security(c);
    EXPECT(sec && sec->package == NTCP_PACKAGE_KERBEROS && sec->protection == NTCP_PROTECTION_ENCRYPT_AND_SIGN,
           "the session is Kerberos EncryptAndSign");
    job jobs[THREADS];
    pthread_t th[THREADS];
    for (int i = 0; i < THREADS; i++) {
        jobs[i] = (job){ c, i, 0, 0, 0 };
        pthread_create(&th[i], NULL, run, &jobs[i]);
    }
    for (int i = 0; i < THREADS; i++) {
        pthread_join(th[i], NULL);
        EXPECT(jobs[i].ok == CALLS && !jobs[i].wrong && !jobs[i].failed, "thread %d: %d right, %d wrong, %d failed",
               i, jobs[i].ok, jobs[i].wrong, jobs[i].failed);
    }
    EXPECT(ntcp_client_close(c) == NTCP_OK, "close");
    return e2e_finish();
}
