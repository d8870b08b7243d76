/* libFuzzer: a request body as the WWSAPI service host reads it into an
 * operation's parameter frame (then writes the output wrapper from that
 * frame, as a reply): the first byte picks the operation — doubles, an int
 * then a double (padding in the frame), a string in and out (one parameter
 * both ways), a data contract struct by pointer with an optional string.
 * The heap is small, so its quota is hit too. */
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include "wws/wws_channel.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

typedef struct Add { double n1; double n2; } Add;
typedef struct Scale { int factor; double value; } Scale;
typedef struct Echo { WCHAR *text; } Echo;
typedef struct Point { int X; WCHAR *Label; } Point;
typedef struct Move { Point *p; unsigned dx; } Move;

static WS_XML_STRING ns = WS_XML_STRING_VALUE("urn:f");
static WS_XML_STRING s_add = WS_XML_STRING_VALUE("Add"), s_addr = WS_XML_STRING_VALUE("AddResponse");
static WS_XML_STRING s_n1 = WS_XML_STRING_VALUE("n1"), s_n2 = WS_XML_STRING_VALUE("n2");
static WS_XML_STRING s_scale = WS_XML_STRING_VALUE("Scale"), s_scaler = WS_XML_STRING_VALUE("ScaleResponse");
static WS_XML_STRING s_factor = WS_XML_STRING_VALUE("factor"), s_value = WS_XML_STRING_VALUE("value");
static WS_XML_STRING s_echo = WS_XML_STRING_VALUE("Echo"), s_echor = WS_XML_STRING_VALUE("EchoResponse");
static WS_XML_STRING s_text = WS_XML_STRING_VALUE("text");
static WS_XML_STRING s_move = WS_XML_STRING_VALUE("Move"), s_mover = WS_XML_STRING_VALUE("MoveResponse");
static WS_XML_STRING s_p = WS_XML_STRING_VALUE("p"), s_dx = WS_XML_STRING_VALUE("dx");
static WS_XML_STRING s_x = WS_XML_STRING_VALUE("X"), s_label = WS_XML_STRING_VALUE("Label");
static WS_XML_STRING s_action = WS_XML_STRING_VALUE("urn:f/Op"), s_reply = WS_XML_STRING_VALUE("urn:f/OpResponse");

#define FIELD(name, type, desc, st, m, opt) \
    { WS_ELEMENT_FIELD_MAPPING, &name, &ns, type, desc, offsetof(st, m), opt, NULL, 0, NULL, NULL, NULL }
static WS_FIELD_DESCRIPTION f_n1 = FIELD(s_n1, WS_DOUBLE_TYPE, NULL, Add, n1, 0);
static WS_FIELD_DESCRIPTION f_n2 = FIELD(s_n2, WS_DOUBLE_TYPE, NULL, Add, n2, 0);
static WS_FIELD_DESCRIPTION f_factor = FIELD(s_factor, WS_INT32_TYPE, NULL, Scale, factor, 0);
static WS_FIELD_DESCRIPTION f_value = FIELD(s_value, WS_DOUBLE_TYPE, NULL, Scale, value, 0);
static WS_FIELD_DESCRIPTION f_text = FIELD(s_text, WS_WSZ_TYPE, NULL, Echo, text, 0);
static WS_FIELD_DESCRIPTION f_x = FIELD(s_x, WS_INT32_TYPE, NULL, Point, X, 0);
static WS_FIELD_DESCRIPTION f_label = FIELD(s_label, WS_WSZ_TYPE, NULL, Point, Label, WS_FIELD_OPTIONAL);
static WS_FIELD_DESCRIPTION *point_fields[] = { &f_x, &f_label };
static WS_STRUCT_DESCRIPTION point_type = { sizeof(Point), _Alignof(Point), point_fields, 2, NULL, NULL, NULL, NULL, 0, 0 };
static WS_FIELD_DESCRIPTION f_p = FIELD(s_p, WS_STRUCT_TYPE, &point_type, Move, p, WS_FIELD_POINTER);
static WS_FIELD_DESCRIPTION f_dx = FIELD(s_dx, WS_UINT32_TYPE, NULL, Move, dx, 0);
static WS_FIELD_DESCRIPTION *add_fields[] = { &f_n1, &f_n2 }, *scale_fields[] = { &f_factor, &f_value };
static WS_FIELD_DESCRIPTION *echo_fields[] = { &f_text }, *move_fields[] = { &f_p, &f_dx };

#define STRUCT(fields, st, name) { sizeof(st), _Alignof(st), fields, WsCountOf(fields), &name, &ns, NULL, NULL, 0, 0 }
static WS_STRUCT_DESCRIPTION add_in = STRUCT(add_fields, Add, s_add), add_out = STRUCT(add_fields, Add, s_addr);
static WS_STRUCT_DESCRIPTION scale_in = STRUCT(scale_fields, Scale, s_scale), scale_out = STRUCT(scale_fields, Scale, s_scaler);
static WS_STRUCT_DESCRIPTION echo_in = STRUCT(echo_fields, Echo, s_echo), echo_out = STRUCT(echo_fields, Echo, s_echor);
static WS_STRUCT_DESCRIPTION move_in = STRUCT(move_fields, Move, s_move), move_out = STRUCT(move_fields, Move, s_mover);
static WS_ELEMENT_DESCRIPTION e_add_in = { &s_add, &ns, WS_STRUCT_TYPE, &add_in }, e_add_out = { &s_addr, &ns, WS_STRUCT_TYPE, &add_out };
static WS_ELEMENT_DESCRIPTION e_scale_in = { &s_scale, &ns, WS_STRUCT_TYPE, &scale_in },
                              e_scale_out = { &s_scaler, &ns, WS_STRUCT_TYPE, &scale_out };
static WS_ELEMENT_DESCRIPTION e_echo_in = { &s_echo, &ns, WS_STRUCT_TYPE, &echo_in },
                              e_echo_out = { &s_echor, &ns, WS_STRUCT_TYPE, &echo_out };
static WS_ELEMENT_DESCRIPTION e_move_in = { &s_move, &ns, WS_STRUCT_TYPE, &move_in },
                              e_move_out = { &s_mover, &ns, WS_STRUCT_TYPE, &move_out };
static WS_MESSAGE_DESCRIPTION m_add_in = { &s_action, &e_add_in }, m_add_out = { &s_reply, &e_add_out };
static WS_MESSAGE_DESCRIPTION m_scale_in = { &s_action, &e_scale_in }, m_scale_out = { &s_reply, &e_scale_out };
static WS_MESSAGE_DESCRIPTION m_echo_in = { &s_action, &e_echo_in }, m_echo_out = { &s_reply, &e_echo_out };
static WS_MESSAGE_DESCRIPTION m_move_in = { &s_action, &e_move_in }, m_move_out = { &s_reply, &e_move_out };
/* every parameter in and out: the reply carries what the request did */
static WS_PARAMETER_DESCRIPTION two[] = { { WS_PARAMETER_TYPE_NORMAL, 0, 0 }, { WS_PARAMETER_TYPE_NORMAL, 1, 1 } };
static WS_PARAMETER_DESCRIPTION one[] = { { WS_PARAMETER_TYPE_NORMAL, 0, 0 } };
static HRESULT CALLBACK stub(const WS_OPERATION_CONTEXT *c, void *f, const void *cb, const WS_ASYNC_CONTEXT *a, WS_ERROR *e)
{
    (void)c, (void)f, (void)cb, (void)a, (void)e;
    return S_OK;
}
static WS_OPERATION_DESCRIPTION ops[] = {
    { 1, &m_add_in, &m_add_out, 0, 0, 2, two, stub, WS_NON_RPC_LITERAL_OPERATION },
    { 1, &m_scale_in, &m_scale_out, 0, 0, 2, two, stub, WS_NON_RPC_LITERAL_OPERATION },
    { 1, &m_echo_in, &m_echo_out, 0, 0, 1, one, stub, WS_NON_RPC_LITERAL_OPERATION },
    { 1, &m_move_in, &m_move_out, 0, 0, 2, two, stub, WS_NON_RPC_LITERAL_OPERATION },
};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1) return 0;
    const WS_OPERATION_DESCRIPTION *op = &ops[data[0] % (sizeof ops / sizeof ops[0])];
    WS_HEAP *heap;
    WS_ERROR *error;
    if (WsCreateHeap(4096, 0, NULL, 0, &heap, NULL) != S_OK || WsCreateError(NULL, 0, &error) != S_OK) abort();
    ntcp_buf out;
    ntcp_buf_init(&out, 1u << 20);
    HRESULT hr = ntcp__wws_host_frame(op, (const char *)data + 1, size - 1, heap, &out, error);
    ULONG n = 0;
    if (WsGetErrorProperty(error, WS_ERROR_PROPERTY_STRING_COUNT, &n, sizeof n) != S_OK) abort();
    if (FAILED(hr) != (n > 0)) abort(); /* every failure explains itself, a success adds nothing */
    if (SUCCEEDED(hr)) { /* the reply, read back as a request of the reply's wrapper (in a heap of the same size) */
        WS_OPERATION_DESCRIPTION back = *op;
        back.inputMessageDescription = op->outputMessageDescription;
        WS_HEAP *heap2;
        if (WsCreateHeap(4096, 0, NULL, 0, &heap2, NULL) != S_OK) abort();
        ntcp_buf again;
        ntcp_buf_init(&again, 1u << 20);
        if (FAILED(ntcp__wws_host_frame(&back, (const char *)out.data, out.len, heap2, &again, NULL)) ||
            again.len != out.len || memcmp(again.data, out.data, out.len))
            abort(); /* written, read and written again: the same bytes */
        ntcp_buf_free(&again);
        WsFreeHeap(heap2);
    }
    ntcp_buf_free(&out);
    WsFreeError(error);
    WsFreeHeap(heap);
    return 0;
}
