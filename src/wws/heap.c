/* nettcp WWSAPI: heaps. Every block is its own allocation (freed at reset);
 * the bytes given out since the last reset may not pass maxSize. */
#include "wws_int.h"

#include <string.h>

struct wws_block {
    struct wws_block *next;
    SIZE_T size;
    max_align_t align[]; /* the caller's bytes, aligned for any type */
};

HRESULT WINAPI WsCreateHeap(SIZE_T maxSize, SIZE_T trimSize, const WS_HEAP_PROPERTY *properties, ULONG propertyCount,
                            WS_HEAP **heap, WS_ERROR *error)
{
    if (!heap) return ntcp__wws_fail(error, E_INVALIDARG, NTCP_CAUSE_INVALID_ARGUMENT, "WsCreateHeap: heap is NULL");
    if (propertyCount && !properties)
        return ntcp__wws_fail(error, E_INVALIDARG, NTCP_CAUSE_INVALID_ARGUMENT,
                              "WsCreateHeap: %u properties and no array", (unsigned)propertyCount);
    if (propertyCount) /* the documented properties are read-only */
        return ntcp__wws_fail(error, E_INVALIDARG, NTCP_CAUSE_INVALID_ARGUMENT,
                              "WsCreateHeap: heap property %d cannot be set", (int)properties[0].id);
    WS_HEAP *h = ntcp_calloc(1, sizeof *h);
    if (!h) return ntcp__wws_fail(error, E_OUTOFMEMORY, NTCP_CAUSE_OUT_OF_MEMORY, "WsCreateHeap: out of memory");
    h->max_size = maxSize;
    h->trim_size = trimSize;
    *heap = h;
    return S_OK;
}

void *ntcp__wws_heap_alloc(WS_HEAP *h, SIZE_T size, HRESULT *hr)
{
    if (size > h->max_size - h->requested || h->requested > h->max_size) {
        *hr = WS_E_QUOTA_EXCEEDED;
        return NULL;
    }
    struct wws_block *b = ntcp_malloc(sizeof *b + (size ? size : 1));
    if (!b) {
        *hr = E_OUTOFMEMORY;
        return NULL;
    }
    b->size = size;
    b->next = h->blocks;
    h->blocks = b;
    h->requested += size;
    h->actual += sizeof *b + size;
    *hr = S_OK;
    return b->align;
}

HRESULT WINAPI WsAlloc(WS_HEAP *heap, SIZE_T size, void **ptr, WS_ERROR *error)
{
    if (!heap || !ptr) return ntcp__wws_fail(error, E_INVALIDARG, NTCP_CAUSE_INVALID_ARGUMENT, "WsAlloc: NULL argument");
    HRESULT hr;
    void *p = ntcp__wws_heap_alloc(heap, size, &hr);
    if (!p) {
        if (hr == WS_E_QUOTA_EXCEEDED)
            return ntcp__wws_fail(error, hr, NTCP_CAUSE_QUOTA_EXCEEDED,
                                  "WsAlloc: %zu bytes more would exceed the heap's maximum size of %zu bytes "
                                  "(%zu in use); create the heap with a larger maxSize or reset it",
                                  (size_t)size, (size_t)heap->max_size, (size_t)heap->requested);
        return ntcp__wws_fail(error, hr, NTCP_CAUSE_OUT_OF_MEMORY, "WsAlloc: out of memory for %zu bytes",
                              (size_t)size);
    }
    *ptr = p;
    return S_OK;
}

HRESULT WINAPI WsGetHeapProperty(WS_HEAP *heap, WS_HEAP_PROPERTY_ID id, void *value, ULONG valueSize,
                                 WS_ERROR *error)
{
    if (!heap || !value || valueSize != sizeof(SIZE_T))
        return ntcp__wws_fail(error, E_INVALIDARG, NTCP_CAUSE_INVALID_ARGUMENT,
                              "WsGetHeapProperty: NULL argument or a size other than sizeof(SIZE_T)");
    switch (id) {
    case WS_HEAP_PROPERTY_MAX_SIZE: *(SIZE_T *)value = heap->max_size; return S_OK;
    case WS_HEAP_PROPERTY_TRIM_SIZE: *(SIZE_T *)value = heap->trim_size; return S_OK;
    case WS_HEAP_PROPERTY_REQUESTED_SIZE: *(SIZE_T *)value = heap->requested; return S_OK;
    case WS_HEAP_PROPERTY_ACTUAL_SIZE: *(SIZE_T *)value = heap->actual; return S_OK;
    }
    return ntcp__wws_fail(error, E_INVALIDARG, NTCP_CAUSE_INVALID_ARGUMENT, "WsGetHeapProperty: unknown id %d",
                          (int)id);
}

HRESULT WINAPI WsResetHeap(WS_HEAP *heap, WS_ERROR *error)
{
    if (!heap) return ntcp__wws_fail(error, E_INVALIDARG, NTCP_CAUSE_INVALID_ARGUMENT, "WsResetHeap: heap is NULL");
    for (struct wws_block *b = heap->blocks, *n; b; b = n) {
        n = b->next;
        ntcp_free(b);
    }
    heap->blocks = NULL;
    heap->requested = heap->actual = 0;
    return S_OK;
}

void WINAPI WsFreeHeap(WS_HEAP *heap)
{
    if (!heap) return;
    (void)WsResetHeap(heap, NULL);
    ntcp_free(heap);
}
