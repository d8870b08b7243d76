/* libFuzzer: a reply or request body as the WWSAPI reads it (WsReadBody,
 * WsRequestReply, WsReceiveMessage): the text XML a peer's message renders
 * to, read with each body type the channel layer maps (the first byte picks
 * the type and read option; a data contract struct among them), and as an
 * XML buffer from bytes. The heap is
 * small, so its quota is hit too. */
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include "wws/wws_int.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* a data contract: a nested struct by pointer, an optional string, numbers, an array of strings */
typedef struct Point { int X; double Y; } Point;
typedef struct Shape { WCHAR *Name; Point *Origin; unsigned Sides; WCHAR *Note; WCHAR **Tags; ULONG TagCount; } Shape;
static WS_XML_STRING s_ns = WS_XML_STRING_VALUE("urn:f"), s_x = WS_XML_STRING_VALUE("X"), s_y = WS_XML_STRING_VALUE("Y");
static WS_XML_STRING s_name = WS_XML_STRING_VALUE("Name"), s_origin = WS_XML_STRING_VALUE("Origin");
static WS_XML_STRING s_sides = WS_XML_STRING_VALUE("Sides"), s_note = WS_XML_STRING_VALUE("Note");
static WS_FIELD_DESCRIPTION f_x = { WS_ELEMENT_FIELD_MAPPING, &s_x, &s_ns, WS_INT32_TYPE, NULL, offsetof(Point, X), 0, NULL, 0, NULL, NULL, NULL };
static WS_FIELD_DESCRIPTION f_y = { WS_ELEMENT_FIELD_MAPPING, &s_y, &s_ns, WS_DOUBLE_TYPE, NULL, offsetof(Point, Y), WS_FIELD_OPTIONAL, NULL, 0, NULL, NULL, NULL };
static WS_FIELD_DESCRIPTION *point_fields[] = { &f_x, &f_y };
static WS_STRUCT_DESCRIPTION point_type = { sizeof(Point), _Alignof(Point), point_fields, 2, NULL, NULL, NULL, NULL, 0, 0 };
static WS_FIELD_DESCRIPTION f_name = { WS_ELEMENT_FIELD_MAPPING, &s_name, &s_ns, WS_WSZ_TYPE, NULL, offsetof(Shape, Name), 0, NULL, 0, NULL, NULL, NULL };
static WS_FIELD_DESCRIPTION f_origin = { WS_ELEMENT_FIELD_MAPPING, &s_origin, &s_ns, WS_STRUCT_TYPE, &point_type, offsetof(Shape, Origin), WS_FIELD_POINTER | WS_FIELD_OPTIONAL, NULL, 0, NULL, NULL, NULL };
static WS_FIELD_DESCRIPTION f_sides = { WS_ELEMENT_FIELD_MAPPING, &s_sides, &s_ns, WS_UINT32_TYPE, NULL, offsetof(Shape, Sides), 0, NULL, 0, NULL, NULL, NULL };
static WS_FIELD_DESCRIPTION f_note = { WS_ELEMENT_FIELD_MAPPING, &s_note, &s_ns, WS_WSZ_TYPE, NULL, offsetof(Shape, Note), WS_FIELD_OPTIONAL, NULL, 0, NULL, NULL, NULL };
static WS_XML_STRING s_tags = WS_XML_STRING_VALUE("Tags"), s_tag = WS_XML_STRING_VALUE("t");
static WS_ITEM_RANGE tag_range = { 0, 8 };
static WS_FIELD_DESCRIPTION f_tags = { WS_REPEATING_ELEMENT_FIELD_MAPPING, &s_tags, &s_ns, WS_WSZ_TYPE, NULL, offsetof(Shape, Tags), WS_FIELD_OPTIONAL, NULL, offsetof(Shape, TagCount), &s_tag, &s_ns, &tag_range };
static WS_FIELD_DESCRIPTION *shape_fields[] = { &f_name, &f_origin, &f_sides, &f_note, &f_tags };
static WS_STRUCT_DESCRIPTION shape_type = { sizeof(Shape), _Alignof(Shape), shape_fields, 5, NULL, NULL, NULL, NULL, 0, 0 };

static const WS_TYPE types[] = { WS_BOOL_TYPE, WS_INT8_TYPE, WS_INT16_TYPE, WS_INT32_TYPE, WS_INT64_TYPE,
                                 WS_UINT8_TYPE, WS_UINT16_TYPE, WS_UINT32_TYPE, WS_UINT64_TYPE, WS_DOUBLE_TYPE,
                                 WS_STRING_TYPE, WS_WSZ_TYPE, WS_XML_BUFFER_TYPE, WS_STRUCT_TYPE };

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1) return 0;
    WS_TYPE t = types[data[0] % (sizeof types / sizeof types[0])];
    WS_READ_OPTION opt = (data[0] >> 4) & 1 ? WS_READ_REQUIRED_POINTER : WS_READ_REQUIRED_VALUE;
    if (t == WS_WSZ_TYPE || t == WS_XML_BUFFER_TYPE) opt = WS_READ_REQUIRED_POINTER;
    if ((data[0] >> 5) & 1 && opt == WS_READ_REQUIRED_POINTER) opt = WS_READ_OPTIONAL_POINTER;
    WS_HEAP *heap;
    WS_ERROR *error;
    if (WsCreateHeap(4096, 0, NULL, 0, &heap, NULL) != S_OK || WsCreateError(NULL, 0, &error) != S_OK) abort();
    WS_XML_STRING local = WS_XML_STRING_VALUE("v"), ns = WS_XML_STRING_VALUE("urn:f");
    WS_ELEMENT_DESCRIPTION d = { t == WS_XML_BUFFER_TYPE ? NULL : &local, t == WS_XML_BUFFER_TYPE ? NULL : &ns, t,
                                 t == WS_STRUCT_TYPE ? &shape_type : NULL };
    union {
        uint64_t u;
        double f;
        WS_STRING s;
        void *p;
        Shape shape;
    } value;
    memset(&value, 0, sizeof value);
    ULONG vsize = opt != WS_READ_REQUIRED_VALUE ? sizeof(void *)
                : t == WS_STRING_TYPE ? sizeof(WS_STRING)
                : t == WS_STRUCT_TYPE ? sizeof(Shape)
                : t == WS_BOOL_TYPE ? sizeof(BOOL)
                : t == WS_INT8_TYPE || t == WS_UINT8_TYPE ? 1
                : t == WS_INT16_TYPE || t == WS_UINT16_TYPE ? 2
                : t == WS_INT32_TYPE || t == WS_UINT32_TYPE ? 4 : 8;
    HRESULT hr = ntcp__wws_read_element((const char *)data + 1, size - 1, &d, opt, heap, &value, vsize, error);
    if (SUCCEEDED(hr) && t == WS_WSZ_TYPE && opt == WS_READ_REQUIRED_POINTER && !value.p) abort();
    ULONG n = 0;
    if (WsGetErrorProperty(error, WS_ERROR_PROPERTY_STRING_COUNT, &n, sizeof n) != S_OK) abort();
    if (FAILED(hr) != (n > 0)) abort(); /* every failure explains itself, a success adds nothing */
    WS_XML_BUFFER *b;
    if (SUCCEEDED(WsReadXmlBufferFromBytes(NULL, NULL, NULL, 0, data + 1, (ULONG)(size - 1), heap, &b, NULL))) {
        void *bytes;
        ULONG len;
        if (SUCCEEDED(WsWriteXmlBufferToBytes(NULL, b, NULL, NULL, 0, heap, &bytes, &len, NULL)) &&
            (len != size - 1 || memcmp(bytes, data + 1, len)))
            abort();
    }
    WsFreeError(error);
    WsFreeHeap(heap);
    return 0;
}
