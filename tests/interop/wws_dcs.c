/* nettcp's side of tests/interop/mono_wws_dcs.sh: the WWSAPI serializer with
 * the descriptions wsutil would generate for MonoDcs.cs's data contracts.
 * usage: wws_dcs write KIND   -- the XML nettcp writes for KIND's fixed value
 *        wws_dcs read KIND    -- reads XML from stdin, prints what it got
 * KIND: v (numbers, dates, durations, GUID, bytes, enum), n (nil values),
 * box (struct subtypes). The printed form is MonoDcs.cs's. */
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <wchar.h>
#include "wws/wws_int.h"

static WS_XML_STRING t_ns = WS_XML_STRING_VALUE("http://t"), g_ns = WS_XML_STRING_VALUE("http://t/geo");
#define S(name, text) static WS_XML_STRING name = WS_XML_STRING_VALUE(text)
S(n_v, "V"); S(n_f, "F"); S(n_d, "D"); S(n_dn, "DN"); S(n_t, "T"); S(n_t2, "T2"); S(n_g, "G"); S(n_b, "B"); S(n_c, "C");
S(n_t3, "T3"); S(n_f2, "F2"); S(n_n, "N"); S(n_s, "S"); S(n_i, "I"); S(n_j, "J"); S(n_e, "E"); S(c_red, "Red");
S(c_green, "Green"); S(c_blue, "Blue"); S(s_shape, "Shape"); S(s_circle, "Circle"); S(s_name, "Name"); S(s_r, "R");
S(s_box, "Box"); S(s_a, "A"); S(n_m, "M");

typedef struct V { float F; WS_DATETIME D, DN; WS_TIMESPAN T, T2; GUID G; WS_BYTES B; int C; WS_TIMESPAN T3; float F2; DECIMAL M; } V;
static WS_ENUM_VALUE colors[] = { { 0, &c_red }, { 1, &c_green }, { 2, &c_blue } };
static WS_ENUM_DESCRIPTION color_type = { colors, 3, 5, NULL };
#define VF(name, T, desc, m) \
    static WS_FIELD_DESCRIPTION fv_##m = { WS_ELEMENT_FIELD_MAPPING, &name, &t_ns, T, desc, offsetof(V, m), 0, NULL, 0, NULL, NULL, NULL }
VF(n_f, WS_FLOAT_TYPE, NULL, F); VF(n_d, WS_DATETIME_TYPE, NULL, D); VF(n_dn, WS_DATETIME_TYPE, NULL, DN);
VF(n_t, WS_TIMESPAN_TYPE, NULL, T); VF(n_t2, WS_TIMESPAN_TYPE, NULL, T2); VF(n_g, WS_GUID_TYPE, NULL, G);
VF(n_b, WS_BYTES_TYPE, NULL, B); VF(n_c, WS_ENUM_TYPE, &color_type, C); VF(n_t3, WS_TIMESPAN_TYPE, NULL, T3);
VF(n_f2, WS_FLOAT_TYPE, NULL, F2); VF(n_m, WS_DECIMAL_TYPE, NULL, M);
static WS_FIELD_DESCRIPTION *v_fields[] = { &fv_F, &fv_D, &fv_DN, &fv_T, &fv_T2, &fv_G, &fv_B, &fv_C, &fv_T3, &fv_F2, &fv_M };
static WS_STRUCT_DESCRIPTION v_type = { sizeof(V), _Alignof(V), v_fields, 11, &n_v, &t_ns, NULL, NULL, 0, 0 };

typedef struct N { WS_STRING S; WS_BYTES B; int *I; int *J; WS_STRING E; } N;
#define NF(name, T, m, o) \
    static WS_FIELD_DESCRIPTION fn_##m = { WS_ELEMENT_FIELD_MAPPING, &name, &t_ns, T, NULL, offsetof(N, m), o, NULL, 0, NULL, NULL, NULL }
NF(n_s, WS_STRING_TYPE, S, WS_FIELD_NILLABLE); NF(n_b, WS_BYTES_TYPE, B, WS_FIELD_NILLABLE);
NF(n_i, WS_INT32_TYPE, I, WS_FIELD_POINTER | WS_FIELD_NILLABLE); NF(n_j, WS_INT32_TYPE, J, WS_FIELD_POINTER | WS_FIELD_NILLABLE);
NF(n_e, WS_STRING_TYPE, E, WS_FIELD_NILLABLE);
static WS_FIELD_DESCRIPTION *n_fields[] = { &fn_S, &fn_B, &fn_I, &fn_J, &fn_E };
static WS_STRUCT_DESCRIPTION n_type = { sizeof(N), _Alignof(N), n_fields, 5, &n_n, &t_ns, NULL, NULL, 0, 0 };

typedef struct ShapeS { WS_STRUCT_DESCRIPTION *type; WCHAR *Name; } ShapeS;
typedef struct CircleS { WS_STRUCT_DESCRIPTION *type; WCHAR *Name; double R; } CircleS;
typedef struct Box { ShapeS *A; ShapeS *B; } Box;
static WS_FIELD_DESCRIPTION fs_type = { WS_TYPE_ATTRIBUTE_FIELD_MAPPING, NULL, NULL, WS_DESCRIPTION_TYPE, NULL, offsetof(ShapeS, type), 0, NULL, 0, NULL, NULL, NULL };
static WS_FIELD_DESCRIPTION fs_name = { WS_ELEMENT_FIELD_MAPPING, &s_name, &t_ns, WS_WSZ_TYPE, NULL, offsetof(ShapeS, Name), 0, NULL, 0, NULL, NULL, NULL };
static WS_FIELD_DESCRIPTION fc_r = { WS_ELEMENT_FIELD_MAPPING, &s_r, &g_ns, WS_DOUBLE_TYPE, NULL, offsetof(CircleS, R), 0, NULL, 0, NULL, NULL, NULL };
static WS_FIELD_DESCRIPTION *shape_fields[] = { &fs_type, &fs_name }, *circle_fields[] = { &fs_type, &fs_name, &fc_r };
static WS_STRUCT_DESCRIPTION shape_type;
static WS_STRUCT_DESCRIPTION circle_type = { sizeof(CircleS), _Alignof(CircleS), circle_fields, 3, &s_circle, &g_ns, &shape_type, NULL, 0, 0 };
static WS_STRUCT_DESCRIPTION *subtypes[] = { &circle_type };
static WS_STRUCT_DESCRIPTION shape_type = { sizeof(ShapeS), _Alignof(ShapeS), shape_fields, 2, &s_shape, &t_ns, NULL, subtypes, 1, 0 };
static WS_FIELD_DESCRIPTION fb_a = { WS_ELEMENT_FIELD_MAPPING, &s_a, &t_ns, WS_STRUCT_TYPE, &shape_type, offsetof(Box, A), WS_FIELD_POINTER, NULL, 0, NULL, NULL, NULL };
static WS_FIELD_DESCRIPTION fb_b = { WS_ELEMENT_FIELD_MAPPING, &n_b, &t_ns, WS_STRUCT_TYPE, &shape_type, offsetof(Box, B), WS_FIELD_POINTER, NULL, 0, NULL, NULL, NULL };
static WS_FIELD_DESCRIPTION *box_fields[] = { &fb_a, &fb_b };
static WS_STRUCT_DESCRIPTION box_type = { sizeof(Box), _Alignof(Box), box_fields, 2, &s_box, &t_ns, NULL, NULL, 0, 0 };

static int bits(float f) { int u; memcpy(&u, &f, 4); return u; }
static const char *kind(WS_DATETIME_FORMAT f) { return f == WS_DATETIME_FORMAT_UTC ? "Utc" : f == WS_DATETIME_FORMAT_LOCAL ? "Local" : "Unspecified"; }
static void bytes(const WS_BYTES *b, int nil_as_null)
{
    if (!b->bytes && nil_as_null) { printf("null"); return; }
    for (ULONG i = 0; i < b->length; i++) printf("%s%02X", i ? "-" : "", b->bytes[i]);
}
static void str(const WS_STRING *s) { if (!s->chars) printf("null"); else printf("[%.*ls]", (int)s->length, s->chars); }
static void shape(const ShapeS *s)
{
    if (s->type == &circle_type) printf("Circle %ls %d", s->Name, (int)(((const CircleS *)s)->R * 10));
    else printf("Shape %ls", s->Name);
}

int main(int argc, char **argv)
{
    if (argc != 3) return 2;
    WS_STRUCT_DESCRIPTION *sd = !strcmp(argv[2], "v") ? &v_type : !strcmp(argv[2], "n") ? &n_type : &box_type;
    WS_ELEMENT_DESCRIPTION d = { sd->typeLocalName, &t_ns, WS_STRUCT_TYPE, sd };
    WS_ERROR *e;
    WS_HEAP *h;
    if (WsCreateError(NULL, 0, &e) != S_OK || WsCreateHeap(1 << 20, 0, NULL, 0, &h, NULL) != S_OK) return 1;
    static BYTE vb[] = { 0, 1, 2, 253, 254, 255, 65 };
    int five = 5;
    CircleS c = { &circle_type, L"c", 1.5 };
    ShapeS s = { NULL, L"s" };
    union { V v; N n; Box box; } val;
    memset(&val, 0, sizeof val);
    HRESULT hr;
    if (!strcmp(argv[1], "write")) {
        if (sd == &v_type)
            val.v = (V){ 1.5f, { 639320819971234500ULL, WS_DATETIME_FORMAT_UTC }, { 631167699060000000ULL, WS_DATETIME_FORMAT_NONE },
                         { 937840005000LL }, { 0 }, { 0x0f8fad5b, 0xd9cb, 0x469f, { 0xa1, 0x65, 0x70, 0x86, 0x77, 0x28, 0x95, 0x0e } },
                         { sizeof vb, vb }, 2, { -900000000LL }, 1e20f, { 0 } };
        if (sd == &v_type) val.v.M.Lo64 = 1250, val.v.M.scale = 2, val.v.M.sign = DECIMAL_NEG;
        else if (sd == &n_type)
            val.n = (N){ { 0, NULL }, { 0, NULL }, NULL, &five, { 0, (WCHAR *)L"" } };
        else
            val.box = (Box){ (ShapeS *)&c, &s };
        ntcp_buf b;
        ntcp_buf_init(&b, 1 << 20);
        hr = ntcp__wws_write_element(&b, &d, WS_WRITE_REQUIRED_VALUE, &val, sd->size, e);
        if (SUCCEEDED(hr)) printf("%.*s\n", (int)b.len, (const char *)b.data);
        ntcp_buf_free(&b);
    } else {
        static char in[1 << 16];
        size_t n = fread(in, 1, sizeof in - 1, stdin);
        hr = ntcp__wws_read_element(in, n, &d, WS_READ_REQUIRED_VALUE, h, &val, sd->size, e);
        if (SUCCEEDED(hr) && sd == &v_type) {
            const V *v = &val.v;
            printf("F=%d D=%llu/%s DN=%llu/%s T=%lld T2=%lld G=%08x-%04x-%04x-%02x%02x-%02x%02x%02x%02x%02x%02x B=", bits(v->F),
                   v->D.ticks, kind(v->D.format), v->DN.ticks, kind(v->DN.format), v->T.ticks, v->T2.ticks, (unsigned)v->G.Data1,
                   v->G.Data2, v->G.Data3, v->G.Data4[0], v->G.Data4[1], v->G.Data4[2], v->G.Data4[3], v->G.Data4[4],
                   v->G.Data4[5], v->G.Data4[6], v->G.Data4[7]);
            bytes(&v->B, 1);
            char *m = NULL;
            if (FAILED(ntcp__wws_type_text(WS_DECIMAL_TYPE, NULL, &v->M, &m, NULL))) return 1;
            printf(" C=%s T3=%lld F2=%d M=%s\n", v->C == 0 ? "Red" : v->C == 1 ? "Green" : "Blue", v->T3.ticks, bits(v->F2), m);
            ntcp_free(m);
        } else if (SUCCEEDED(hr) && sd == &n_type) {
            printf("S=");
            str(&val.n.S);
            printf(" B=");
            bytes(&val.n.B, 1);
            printf(" I=");
            if (val.n.I) printf("%d", *val.n.I); else printf("null");
            printf(" J=");
            if (val.n.J) printf("%d", *val.n.J); else printf("null");
            printf(" E=");
            str(&val.n.E);
            printf("\n");
        } else if (SUCCEEDED(hr)) {
            printf("A=");
            shape(val.box.A);
            printf(" B=");
            shape(val.box.B);
            printf("\n");
        }
    }
    if (FAILED(hr)) {
        WS_STRING m;
        if (SUCCEEDED(WsGetErrorString(e, 0, &m))) fprintf(stderr, "0x%08x %.*ls\n", (unsigned)hr, (int)m.length, m.chars);
    }
    WsFreeHeap(h);
    WsFreeError(e);
    return FAILED(hr);
}
