/* The value tree of schema-driven calls: JSON's shapes, numbers kept as
 * their text, objects in insertion order. */
#include <string.h>
#include <nettcp/util.h>
#include <nettcp/wsdl.h>

struct ntcp_value {
    ntcp_value_kind kind;
    int b;
    char *s; /* string bytes or number text, NUL-terminated */
    size_t len;
    ntcp_value **items;
    char **keys; /* objects */
    size_t n, cap;
};

ntcp_value *ntcp_value_new(ntcp_value_kind kind)
{
    if (kind > NTCP_VALUE_OBJECT)
        return NULL;
    ntcp_value *v = ntcp_calloc(1, sizeof *v);
    if (!v)
        return NULL;
    v->kind = kind;
    if (kind == NTCP_VALUE_NUMBER || kind == NTCP_VALUE_STRING) {
        v->s = ntcp_strndup(kind == NTCP_VALUE_NUMBER ? "0" : "", kind == NTCP_VALUE_NUMBER ? 1 : 0);
        if (!v->s) {
            ntcp_free(v);
            return NULL;
        }
        v->len = strlen(v->s);
    }
    return v;
}

ntcp_value *ntcp_value_bool(int b)
{
    ntcp_value *v = ntcp_value_new(NTCP_VALUE_BOOL);
    if (v)
        v->b = !!b;
    return v;
}

/* JSON's number grammar: -?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)? */
static int json_number(const char *s)
{
    if (*s == '-')
        s++;
    if (*s == '0')
        s++;
    else if (*s >= '1' && *s <= '9')
        while (*s >= '0' && *s <= '9')
            s++;
    else
        return 0;
    if (*s == '.') {
        s++;
        if (!(*s >= '0' && *s <= '9'))
            return 0;
        while (*s >= '0' && *s <= '9')
            s++;
    }
    if (*s == 'e' || *s == 'E') {
        s++;
        if (*s == '+' || *s == '-')
            s++;
        if (!(*s >= '0' && *s <= '9'))
            return 0;
        while (*s >= '0' && *s <= '9')
            s++;
    }
    return *s == 0;
}

ntcp_value *ntcp_value_number(const char *text)
{
    if (!text || !json_number(text))
        return NULL;
    ntcp_value *v = ntcp_calloc(1, sizeof *v);
    if (!v)
        return NULL;
    v->kind = NTCP_VALUE_NUMBER;
    v->len = strlen(text);
    v->s = ntcp_strndup(text, v->len);
    if (!v->s) {
        ntcp_free(v);
        return NULL;
    }
    return v;
}

ntcp_value *ntcp_value_string(const char *s, size_t len)
{
    if (!s && len)
        return NULL;
    ntcp_value *v = ntcp_calloc(1, sizeof *v);
    if (!v)
        return NULL;
    v->kind = NTCP_VALUE_STRING;
    v->len = len;
    v->s = ntcp_malloc(len + 1);
    if (!v->s) {
        ntcp_free(v);
        return NULL;
    }
    if (len)
        memcpy(v->s, s, len);
    v->s[len] = 0;
    return v;
}

static ntcp_status grow(ntcp_value *v, int keys)
{
    if (v->n < v->cap)
        return NTCP_OK;
    size_t cap = v->cap ? v->cap * 2 : 4;
    ntcp_value **it = ntcp_realloc(v->items, cap * sizeof *it);
    if (!it)
        return NTCP_E_NOMEM;
    v->items = it;
    if (keys) {
        char **k = ntcp_realloc(v->keys, cap * sizeof *k);
        if (!k)
            return NTCP_E_NOMEM;
        v->keys = k;
    }
    v->cap = cap;
    return NTCP_OK;
}

ntcp_status ntcp_value_append(ntcp_value *array, ntcp_value *item)
{
    if (!item)
        return NTCP_E_NOMEM;
    if (!array || array->kind != NTCP_VALUE_ARRAY) {
        ntcp_value_free(item);
        return NTCP_E_INVALID_ARG;
    }
    if (grow(array, 0)) {
        ntcp_value_free(item);
        return NTCP_E_NOMEM;
    }
    array->items[array->n++] = item;
    return NTCP_OK;
}

ntcp_status ntcp_value_set(ntcp_value *object, const char *key, ntcp_value *item)
{
    if (!item)
        return NTCP_E_NOMEM;
    if (!object || object->kind != NTCP_VALUE_OBJECT || !key) {
        ntcp_value_free(item);
        return NTCP_E_INVALID_ARG;
    }
    for (size_t i = 0; i < object->n; i++)
        if (!strcmp(object->keys[i], key)) {
            ntcp_value_free(object->items[i]);
            object->items[i] = item;
            return NTCP_OK;
        }
    char *k = ntcp_strndup(key, strlen(key));
    if (!k || grow(object, 1)) {
        ntcp_free(k);
        ntcp_value_free(item);
        return NTCP_E_NOMEM;
    }
    object->keys[object->n] = k;
    object->items[object->n++] = item;
    return NTCP_OK;
}

ntcp_value_kind ntcp_value_kind_of(const ntcp_value *v) { return v ? v->kind : NTCP_VALUE_NULL; }
int ntcp_value_is_true(const ntcp_value *v) { return v && v->kind == NTCP_VALUE_BOOL && v->b; }

const char *ntcp_value_text(const ntcp_value *v, size_t *len)
{
    if (!v || (v->kind != NTCP_VALUE_STRING && v->kind != NTCP_VALUE_NUMBER))
        return NULL;
    if (len)
        *len = v->len;
    return v->s;
}

size_t ntcp_value_count(const ntcp_value *v)
{
    return v && (v->kind == NTCP_VALUE_ARRAY || v->kind == NTCP_VALUE_OBJECT) ? v->n : 0;
}

const ntcp_value *ntcp_value_at(const ntcp_value *v, size_t i) { return i < ntcp_value_count(v) ? v->items[i] : NULL; }

const char *ntcp_value_key_at(const ntcp_value *v, size_t i)
{
    return v && v->kind == NTCP_VALUE_OBJECT && i < v->n ? v->keys[i] : NULL;
}

const ntcp_value *ntcp_value_get(const ntcp_value *object, const char *key)
{
    if (!object || object->kind != NTCP_VALUE_OBJECT || !key)
        return NULL;
    for (size_t i = 0; i < object->n; i++)
        if (!strcmp(object->keys[i], key))
            return object->items[i];
    return NULL;
}

void ntcp_value_free(ntcp_value *v)
{
    if (!v)
        return;
    for (size_t i = 0; i < v->n; i++) {
        ntcp_value_free(v->items[i]);
        if (v->keys)
            ntcp_free(v->keys[i]);
    }
    ntcp_free(v->items);
    ntcp_free(v->keys);
    ntcp_free(v->s);
    ntcp_free(v);
}
