/* libFuzzer: WsReadType over the serializer's description set -- float, decimal, QName, QName,
 * datetime, timespan, GUID, unique id, bytes, XML string and enum values,
 * a data contract of them, attribute / text / no-field mappings and nillable
 * fields, struct subtypes, an any-element field, endpoint addresses, SOAP faults, a union alone and as a choice field -- from text XML or (a bit of the first byte) NBFX. The first
 * byte picks the description and read option. What reads must write back,
 * and what it writes must read again to the same text. The heap is small,
 * so its quota is hit too. */
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include "wws/wws_int.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

typedef struct V { float F; WS_DATETIME D; WS_TIMESPAN T; GUID G; WS_BYTES B; int C; WS_UNIQUE_ID U; WS_XML_STRING X; } V;
typedef struct Q { WCHAR *Unit; double Amount; int Internal; WS_XML_STRING *Note; } Q;
typedef struct N { WS_STRING S; WS_BYTES B; int *I; V *Inner; } N;

static WS_XML_STRING ns = WS_XML_STRING_VALUE("urn:f"), empty = WS_XML_STRING_VALUE("");
static WS_XML_STRING n_v = WS_XML_STRING_VALUE("v"), n_f = WS_XML_STRING_VALUE("F"), n_d = WS_XML_STRING_VALUE("D");
static WS_XML_STRING n_t = WS_XML_STRING_VALUE("T"), n_g = WS_XML_STRING_VALUE("G"), n_b = WS_XML_STRING_VALUE("B");
static WS_XML_STRING n_c = WS_XML_STRING_VALUE("C"), n_u = WS_XML_STRING_VALUE("U"), n_x = WS_XML_STRING_VALUE("X");
static WS_XML_STRING n_unit = WS_XML_STRING_VALUE("unit"), n_note = WS_XML_STRING_VALUE("note");
static WS_XML_STRING n_s = WS_XML_STRING_VALUE("S"), n_i = WS_XML_STRING_VALUE("I"), n_in = WS_XML_STRING_VALUE("In");
static WS_XML_STRING c_red = WS_XML_STRING_VALUE("Red"), c_blue = WS_XML_STRING_VALUE("Blue");
static WS_ENUM_VALUE colors[] = { { 0, &c_red }, { 2, &c_blue } };
static WS_ENUM_DESCRIPTION color_type = { colors, 2, 4, NULL };
#define VF(name, T, desc, m, o) \
    static WS_FIELD_DESCRIPTION fv_##m = { WS_ELEMENT_FIELD_MAPPING, &name, &ns, T, desc, offsetof(V, m), o, NULL, 0, NULL, NULL, NULL }
VF(n_f, WS_FLOAT_TYPE, NULL, F, 0);
VF(n_d, WS_DATETIME_TYPE, NULL, D, 0);
VF(n_t, WS_TIMESPAN_TYPE, NULL, T, WS_FIELD_OPTIONAL);
VF(n_g, WS_GUID_TYPE, NULL, G, 0);
VF(n_b, WS_BYTES_TYPE, NULL, B, WS_FIELD_OPTIONAL);
VF(n_c, WS_ENUM_TYPE, &color_type, C, 0);
VF(n_u, WS_UNIQUE_ID_TYPE, NULL, U, WS_FIELD_OPTIONAL);
VF(n_x, WS_XML_STRING_TYPE, NULL, X, WS_FIELD_OPTIONAL);
static WS_FIELD_DESCRIPTION *v_fields[] = { &fv_F, &fv_D, &fv_T, &fv_G, &fv_B, &fv_C, &fv_U, &fv_X };
static WS_STRUCT_DESCRIPTION v_type = { sizeof(V), _Alignof(V), v_fields, 8, NULL, NULL, NULL, NULL, 0, 0 };

static WS_FIELD_DESCRIPTION fq_unit = { WS_ATTRIBUTE_FIELD_MAPPING, &n_unit, &empty, WS_WSZ_TYPE, NULL, offsetof(Q, Unit), 0, NULL, 0, NULL, NULL, NULL };
static WS_FIELD_DESCRIPTION fq_note = { WS_ATTRIBUTE_FIELD_MAPPING, &n_note, &empty, WS_XML_STRING_TYPE, NULL, offsetof(Q, Note), WS_FIELD_POINTER | WS_FIELD_OPTIONAL, NULL, 0, NULL, NULL, NULL };
static WS_FIELD_DESCRIPTION fq_amount = { WS_TEXT_FIELD_MAPPING, NULL, NULL, WS_DOUBLE_TYPE, NULL, offsetof(Q, Amount), 0, NULL, 0, NULL, NULL, NULL };
static WS_FIELD_DESCRIPTION fq_internal = { WS_NO_FIELD_MAPPING, NULL, NULL, WS_INT32_TYPE, NULL, offsetof(Q, Internal), 0, NULL, 0, NULL, NULL, NULL };
static WS_FIELD_DESCRIPTION *q_fields[] = { &fq_unit, &fq_amount, &fq_internal, &fq_note };
static WS_STRUCT_DESCRIPTION q_type = { sizeof(Q), _Alignof(Q), q_fields, 4, NULL, NULL, NULL, NULL, 0, 0 };

static WS_FIELD_DESCRIPTION fn_s = { WS_ELEMENT_FIELD_MAPPING, &n_s, &ns, WS_STRING_TYPE, NULL, offsetof(N, S), WS_FIELD_NILLABLE, NULL, 0, NULL, NULL, NULL };
static WS_FIELD_DESCRIPTION fn_b = { WS_ELEMENT_FIELD_MAPPING, &n_b, &ns, WS_BYTES_TYPE, NULL, offsetof(N, B), WS_FIELD_NILLABLE | WS_FIELD_OPTIONAL, NULL, 0, NULL, NULL, NULL };
static WS_FIELD_DESCRIPTION fn_i = { WS_ELEMENT_FIELD_MAPPING, &n_i, &ns, WS_INT32_TYPE, NULL, offsetof(N, I), WS_FIELD_POINTER | WS_FIELD_NILLABLE, NULL, 0, NULL, NULL, NULL };
static WS_FIELD_DESCRIPTION fn_in = { WS_ELEMENT_FIELD_MAPPING, &n_in, &ns, WS_STRUCT_TYPE, &v_type, offsetof(N, Inner), WS_FIELD_POINTER | WS_FIELD_NILLABLE | WS_FIELD_OPTIONAL, NULL, 0, NULL, NULL, NULL };
static WS_FIELD_DESCRIPTION *n_fields[] = { &fn_s, &fn_b, &fn_i, &fn_in };
static WS_STRUCT_DESCRIPTION n_type = { sizeof(N), _Alignof(N), n_fields, 4, NULL, NULL, NULL, NULL, 0, 0 };

/* struct subtypes (xsi:type) behind pointer fields, and an any-element field */
typedef struct ShapeS { WS_STRUCT_DESCRIPTION *type; WCHAR *Name; } ShapeS;
typedef struct CircleS { WS_STRUCT_DESCRIPTION *type; WCHAR *Name; double R; } CircleS;
typedef struct Box { ShapeS *A; ShapeS *B; WS_XML_BUFFER *Any; } Box;
static WS_XML_STRING g_ns = WS_XML_STRING_VALUE("urn:g"), s_shape = WS_XML_STRING_VALUE("Shape");
static WS_XML_STRING s_circle = WS_XML_STRING_VALUE("Circle"), s_name = WS_XML_STRING_VALUE("Name");
static WS_XML_STRING s_r = WS_XML_STRING_VALUE("R"), s_a = WS_XML_STRING_VALUE("A");
static WS_FIELD_DESCRIPTION fs_type = { WS_TYPE_ATTRIBUTE_FIELD_MAPPING, NULL, NULL, WS_DESCRIPTION_TYPE, NULL, offsetof(ShapeS, type), 0, NULL, 0, NULL, NULL, NULL };
static WS_FIELD_DESCRIPTION fs_name = { WS_ELEMENT_FIELD_MAPPING, &s_name, &ns, WS_WSZ_TYPE, NULL, offsetof(ShapeS, Name), 0, NULL, 0, NULL, NULL, NULL };
static WS_FIELD_DESCRIPTION fc_r = { WS_ELEMENT_FIELD_MAPPING, &s_r, &g_ns, WS_DOUBLE_TYPE, NULL, offsetof(CircleS, R), 0, NULL, 0, NULL, NULL, NULL };
static WS_FIELD_DESCRIPTION *shape_fields[] = { &fs_type, &fs_name }, *circle_fields[] = { &fs_type, &fs_name, &fc_r };
static WS_STRUCT_DESCRIPTION shape_type;
static WS_STRUCT_DESCRIPTION circle_type = { sizeof(CircleS), _Alignof(CircleS), circle_fields, 3, &s_circle, &g_ns, &shape_type, NULL, 0, 0 };
static WS_STRUCT_DESCRIPTION *subtypes[] = { &circle_type };
static WS_STRUCT_DESCRIPTION shape_type = { sizeof(ShapeS), _Alignof(ShapeS), shape_fields, 2, &s_shape, &ns, NULL, subtypes, 1, 0 };
static WS_FIELD_DESCRIPTION fb_a = { WS_ELEMENT_FIELD_MAPPING, &s_a, &ns, WS_STRUCT_TYPE, &shape_type, offsetof(Box, A), WS_FIELD_POINTER, NULL, 0, NULL, NULL, NULL };
static WS_FIELD_DESCRIPTION fb_b = { WS_ELEMENT_FIELD_MAPPING, &n_b, &ns, WS_STRUCT_TYPE, &shape_type, offsetof(Box, B), WS_FIELD_POINTER | WS_FIELD_OPTIONAL | WS_FIELD_NILLABLE, NULL, 0, NULL, NULL, NULL };
static WS_FIELD_DESCRIPTION fb_any = { WS_ANY_ELEMENT_FIELD_MAPPING, NULL, NULL, WS_XML_BUFFER_TYPE, NULL, offsetof(Box, Any), WS_FIELD_OPTIONAL, NULL, 0, NULL, NULL, NULL };
static WS_FIELD_DESCRIPTION *box_fields[] = { &fb_a, &fb_b, &fb_any };
static WS_STRUCT_DESCRIPTION box_type = { sizeof(Box), _Alignof(Box), box_fields, 3, NULL, NULL, NULL, NULL, 0, 0 };

/* a union (its selector and the choices' elements) alone and behind an optional choice field */
typedef struct U { int choice; union { int I; WS_STRING S; double R; } value; } U;
typedef struct UB { int Id; U C; } UB;
static WS_UNION_FIELD_DESCRIPTION uf_i = { 3, { WS_ELEMENT_FIELD_MAPPING, &n_i, &ns, WS_INT32_TYPE, NULL, offsetof(U, value.I), 0, NULL, 0, NULL, NULL, NULL } };
static WS_UNION_FIELD_DESCRIPTION uf_s = { 1, { WS_ELEMENT_FIELD_MAPPING, &n_s, &ns, WS_STRING_TYPE, NULL, offsetof(U, value.S), WS_FIELD_NILLABLE, NULL, 0, NULL, NULL, NULL } };
static WS_UNION_FIELD_DESCRIPTION uf_r = { 7, { WS_ELEMENT_FIELD_MAPPING, &s_r, &g_ns, WS_DOUBLE_TYPE, NULL, offsetof(U, value.R), 0, NULL, 0, NULL, NULL, NULL } };
static WS_UNION_FIELD_DESCRIPTION *u_fields[] = { &uf_i, &uf_s, &uf_r };
static WS_UNION_DESCRIPTION u_type = { sizeof(U), _Alignof(U), u_fields, 3, offsetof(U, choice), 0, NULL };
static WS_FIELD_DESCRIPTION fub_id = { WS_ELEMENT_FIELD_MAPPING, &s_a, &ns, WS_INT32_TYPE, NULL, offsetof(UB, Id), 0, NULL, 0, NULL, NULL, NULL };
static WS_FIELD_DESCRIPTION fub_c = { WS_ELEMENT_CHOICE_FIELD_MAPPING, NULL, NULL, WS_UNION_TYPE, &u_type, offsetof(UB, C), WS_FIELD_OPTIONAL, NULL, 0, NULL, NULL, NULL };
static WS_FIELD_DESCRIPTION *ub_fields[] = { &fub_id, &fub_c };
static WS_STRUCT_DESCRIPTION ub_type = { sizeof(UB), _Alignof(UB), ub_fields, 2, NULL, NULL, NULL, NULL, 0, 0 };

static const struct { WS_TYPE t; void *desc; ULONG size; } kinds[] = {
    { WS_STRUCT_TYPE, &v_type, sizeof(V) },       { WS_STRUCT_TYPE, &q_type, sizeof(Q) },
    { WS_STRUCT_TYPE, &n_type, sizeof(N) },       { WS_FLOAT_TYPE, NULL, sizeof(float) },
    { WS_DATETIME_TYPE, NULL, sizeof(WS_DATETIME) }, { WS_TIMESPAN_TYPE, NULL, sizeof(WS_TIMESPAN) },
    { WS_GUID_TYPE, NULL, sizeof(GUID) },         { WS_UNIQUE_ID_TYPE, NULL, sizeof(WS_UNIQUE_ID) },
    { WS_BYTES_TYPE, NULL, sizeof(WS_BYTES) },    { WS_XML_STRING_TYPE, NULL, sizeof(WS_XML_STRING) },
    { WS_ENUM_TYPE, &color_type, sizeof(int) },   { WS_STRING_TYPE, NULL, sizeof(WS_STRING) },
    { WS_DECIMAL_TYPE, NULL, sizeof(DECIMAL) },   { WS_XML_QNAME_TYPE, NULL, sizeof(WS_XML_QNAME) },
    { WS_STRUCT_TYPE, &box_type, sizeof(Box) },   { WS_ENDPOINT_ADDRESS_TYPE, NULL, sizeof(WS_ENDPOINT_ADDRESS) },
    { WS_FAULT_TYPE, NULL, sizeof(WS_FAULT) },    { WS_UNION_TYPE, &u_type, sizeof(U) },
    { WS_STRUCT_TYPE, &ub_type, sizeof(UB) },
};

/* the value written with its description; 0 when it cannot be (a local datetime) */
static int write_back(const WS_ELEMENT_DESCRIPTION *d, WS_WRITE_OPTION wo, const void *v, ULONG size, ntcp_buf *out)
{
    HRESULT hr = ntcp__wws_write_element(out, d, wo, v, size, NULL);
    if (hr == E_NOTIMPL) return 0;
    if (FAILED(hr)) abort(); /* what was read must write */
    return 1;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1) return 0;
    size_t k = data[0] % (sizeof kinds / sizeof kinds[0]);
    bool pointer = (data[0] >> 4) & 1, binary = (data[0] >> 5) & 1, nillable = (data[0] >> 6) & 1;
    WS_READ_OPTION ro = pointer ? (nillable ? WS_READ_NILLABLE_POINTER : WS_READ_OPTIONAL_POINTER)
                      : (nillable && (kinds[k].t == WS_STRING_TYPE || kinds[k].t == WS_BYTES_TYPE ||
                                      kinds[k].t == WS_XML_STRING_TYPE)) ? WS_READ_NILLABLE_VALUE : WS_READ_REQUIRED_VALUE;
    WS_HEAP *heap;
    WS_ERROR *error;
    WS_XML_READER *r;
    if (WsCreateHeap(8192, 0, NULL, 0, &heap, NULL) != S_OK || WsCreateError(NULL, 0, &error) != S_OK ||
        WsCreateReader(NULL, 0, &r, NULL) != S_OK)
        abort();
    WS_XML_READER_TEXT_ENCODING te = { { WS_XML_READER_ENCODING_TYPE_TEXT }, WS_CHARSET_UTF8 };
    WS_XML_READER_BINARY_ENCODING be = { { WS_XML_READER_ENCODING_TYPE_BINARY }, NULL, NULL };
    WS_XML_READER_BUFFER_INPUT in = { { WS_XML_READER_INPUT_TYPE_BUFFER }, (void *)(data + 1), (ULONG)(size - 1) };
    union { V v; Q q; N n; Box box; WS_ENDPOINT_ADDRESS epa; WS_FAULT fault; DECIMAL dec; WS_XML_QNAME qn; U u; UB ub; void *p; } value;
    memset(&value, 0, sizeof value);
    ULONG vsize = pointer ? sizeof(void *) : kinds[k].size;
    HRESULT hr = WsSetInput(r, binary ? &be.encoding : &te.encoding, &in.input, NULL, 0, error);
    if (SUCCEEDED(hr))
        hr = WsReadType(r, WS_ELEMENT_TYPE_MAPPING, kinds[k].t, kinds[k].desc, ro, heap, &value, vsize, error);
    ULONG n = 0;
    if (WsGetErrorProperty(error, WS_ERROR_PROPERTY_STRING_COUNT, &n, sizeof n) != S_OK) abort();
    if (FAILED(hr) != (n > 0)) abort(); /* every failure explains itself, a success adds nothing */
    if (SUCCEEDED(hr) && !(pointer && !value.p)) {
        WS_ELEMENT_DESCRIPTION d = { &n_v, &ns, kinds[k].t, kinds[k].desc };
        WS_WRITE_OPTION wo = pointer ? WS_WRITE_REQUIRED_POINTER : WS_WRITE_REQUIRED_VALUE;
        if (ro == WS_READ_NILLABLE_VALUE) wo = WS_WRITE_NILLABLE_VALUE;
        ntcp_buf a, b;
        ntcp_buf_init(&a, 1 << 20);
        ntcp_buf_init(&b, 1 << 20);
        if (write_back(&d, wo, &value, vsize, &a)) {
            /* read what was written (a fresh heap) and write it again: the same text */
            WS_HEAP *h2;
            if (WsCreateHeap(1 << 20, 0, NULL, 0, &h2, NULL) != S_OK) abort();
            union { V v; Q q; N n; Box box; WS_ENDPOINT_ADDRESS epa; WS_FAULT fault; DECIMAL dec; WS_XML_QNAME qn; U u; UB ub; void *p; } again;
            memset(&again, 0, sizeof again);
            if (FAILED(ntcp__wws_read_element((const char *)a.data, a.len, &d,
                                              ro == WS_READ_OPTIONAL_POINTER ? WS_READ_REQUIRED_POINTER : ro, h2, &again,
                                              vsize, NULL)))
                abort();
            if (!write_back(&d, wo, &again, vsize, &b) || a.len != b.len || memcmp(a.data, b.data, a.len)) abort();
            WsFreeHeap(h2);
        }
        ntcp_buf_free(&a);
        ntcp_buf_free(&b);
    }
    WsFreeReader(r);
    WsFreeError(error);
    WsFreeHeap(heap);
    return 0;
}
