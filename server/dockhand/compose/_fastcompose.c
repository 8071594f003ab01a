/* Compose a YAML text straight into Dockhand's node classes with libyaml (the fast path of nodes.composing).
 *
 * PyYAML's C loader spends most of a parse in Python: two Mark objects, a resolver call and a node constructor per
 * node. This reads libyaml's events in C and fills the slots of the same Python classes (ScalarNode, SeqNode,
 * MapNode from nodes.py) directly, giving exactly the tree their constructors would build. Only the common case is
 * handled here; anything else raises `Unsupported` and the caller parses again with PyYAML, which owns every error
 * message: syntax errors, explicit tags (`!reset`, `!!int`), duplicate or undefined anchors, more than one
 * document, nesting deeper than the node classes read, and text that is not valid UTF-8. Irregular maps (repeated
 * keys, `<<` merges) are finished by the Python helper nodes._merged_items, as with the constructors.
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <structmember.h>
#include <yaml.h>

static PyObject *Unsupported;

/* Set once by configure(): the node classes, the slot offsets, the helpers. */
static struct {
    PyTypeObject *scalar, *seq, *map, *span;
    PyObject *plain_value, *merged_items, *words, *alias_bomb, *empty, *merge_key;
    PyObject *style_plain, *style_single, *style_double, *style_literal, *style_folded;
    int max_depth, ready;
    Py_ssize_t s_raw, s_style, s_tag, s_value, s_start, s_end, s_span;
    Py_ssize_t c_value, c_tag, c_flow, c_start_mark, c_span, c_children, c_items, c_index, c_starts, c_memos;
} K;

typedef struct {
    yaml_parser_t parser;
    PyObject *convert; /* (line, column) -> client column, or None */
    PyObject *anchors; /* anchor -> node */
    size_t line;       /* the last line number made into an int, and that int (spans mostly share lines) */
    PyObject *line_obj;
    unsigned char *ascii_lines; /* per line ("\n"-separated, as LineIndex splits): 1 when convert is not needed */
    size_t n_lines;
} Ctx;

#define SLOT(obj, off) (*(PyObject **)((char *)(obj) + (off)))

/* Store a new reference in a fresh object's slot (slots of a fresh object are NULL). */
static inline void put(PyObject *obj, Py_ssize_t off, PyObject *value) { SLOT(obj, off) = value; }
static inline void put_borrowed(PyObject *obj, Py_ssize_t off, PyObject *value) {
    Py_INCREF(value);
    SLOT(obj, off) = value;
}

static Py_ssize_t slot_offset(PyTypeObject *type, const char *name) {
    PyObject *descr = PyObject_GetAttrString((PyObject *)type, name);
    if (descr == NULL) return -1;
    Py_ssize_t off = -1;
    if (Py_IS_TYPE(descr, &PyMemberDescr_Type)) {
        PyMemberDef *member = ((PyMemberDescrObject *)descr)->d_member;
        if (member->type == T_OBJECT_EX) off = member->offset;
    }
    Py_DECREF(descr);
    if (off < 0) PyErr_Format(PyExc_TypeError, "%s.%s is not a __slots__ entry", type->tp_name, name);
    return off;
}

static PyObject *configure(PyObject *self, PyObject *args) {
    PyTypeObject *scalar, *seq, *map, *span;
    PyObject *plain_value, *merged_items, *words, *alias_bomb;
    int max_depth;
    if (!PyArg_ParseTuple(args, "O!O!O!O!OOO!Oi", &PyType_Type, &scalar, &PyType_Type, &seq, &PyType_Type, &map,
                          &PyType_Type, &span, &plain_value, &merged_items, &PyDict_Type, &words, &alias_bomb,
                          &max_depth))
        return NULL;
    if (seq->tp_basicsize != map->tp_basicsize) {
        PyErr_SetString(PyExc_TypeError, "SeqNode and MapNode must share their slots");
        return NULL;
    }
    K.ready = 0;
    if ((K.s_raw = slot_offset(scalar, "raw")) < 0 || (K.s_style = slot_offset(scalar, "style")) < 0 ||
        (K.s_tag = slot_offset(scalar, "tag")) < 0 || (K.s_value = slot_offset(scalar, "value")) < 0 ||
        (K.s_start = slot_offset(scalar, "_start")) < 0 || (K.s_end = slot_offset(scalar, "_end")) < 0 ||
        (K.s_span = slot_offset(scalar, "_span")) < 0 || (K.c_value = slot_offset(seq, "value")) < 0 ||
        (K.c_tag = slot_offset(seq, "tag")) < 0 || (K.c_flow = slot_offset(seq, "flow_style")) < 0 ||
        (K.c_start_mark = slot_offset(seq, "start_mark")) < 0 || (K.c_span = slot_offset(seq, "span")) < 0 ||
        (K.c_children = slot_offset(seq, "children")) < 0 || (K.c_items = slot_offset(seq, "items")) < 0 ||
        (K.c_index = slot_offset(seq, "_index")) < 0 || (K.c_starts = slot_offset(seq, "_starts")) < 0 ||
        (K.c_memos = slot_offset(seq, "memos")) < 0)
        return NULL;
    if (slot_offset(map, "items") != K.c_items || slot_offset(map, "_index") != K.c_index) {
        if (!PyErr_Occurred()) PyErr_SetString(PyExc_TypeError, "SeqNode and MapNode slots differ");
        return NULL;
    }
    Py_XSETREF(K.scalar, (PyTypeObject *)Py_NewRef(scalar));
    Py_XSETREF(K.seq, (PyTypeObject *)Py_NewRef(seq));
    Py_XSETREF(K.map, (PyTypeObject *)Py_NewRef(map));
    Py_XSETREF(K.span, (PyTypeObject *)Py_NewRef(span));
    Py_XSETREF(K.plain_value, Py_NewRef(plain_value));
    Py_XSETREF(K.merged_items, Py_NewRef(merged_items));
    Py_XSETREF(K.words, Py_NewRef(words));
    Py_XSETREF(K.alias_bomb, Py_NewRef(alias_bomb));
    K.max_depth = max_depth;
    if (K.empty == NULL) {
        K.empty = PyTuple_New(0);
        K.merge_key = PyUnicode_InternFromString("<<");
        K.style_plain = PyUnicode_InternFromString("");
        K.style_single = PyUnicode_InternFromString("'");
        K.style_double = PyUnicode_InternFromString("\"");
        K.style_literal = PyUnicode_InternFromString("|");
        K.style_folded = PyUnicode_InternFromString(">");
        if (!K.empty || !K.merge_key || !K.style_plain || !K.style_single || !K.style_double || !K.style_literal ||
            !K.style_folded)
            return NULL;
    }
    K.ready = 1;
    Py_RETURN_NONE;
}

static PyObject *unsupported(const char *why) {
    PyErr_SetString(Unsupported, why);
    return NULL;
}

static PyObject *column(Ctx *ctx, size_t line, size_t col) {
    if (ctx->convert == Py_None || (line < ctx->n_lines && ctx->ascii_lines[line])) return PyLong_FromSize_t(col);
    return PyObject_CallFunction(ctx->convert, "nn", (Py_ssize_t)line, (Py_ssize_t)col);
}

static PyObject *line_number(Ctx *ctx, size_t line) {
    if (ctx->line_obj == NULL || ctx->line != line) {
        PyObject *obj = PyLong_FromSize_t(line);
        if (obj == NULL) return NULL;
        Py_XSETREF(ctx->line_obj, obj);
        ctx->line = line;
    }
    return Py_NewRef(ctx->line_obj);
}

/* A Span(start_line, start_char, end_line, end_char) in the client's encoding. */
static PyObject *make_span(Ctx *ctx, yaml_mark_t start, yaml_mark_t end) {
    PyObject *span = K.span->tp_alloc(K.span, 4);
    if (span == NULL) return NULL;
    PyObject *a = line_number(ctx, start.line), *b = a ? column(ctx, start.line, start.column) : NULL;
    PyObject *c = b ? line_number(ctx, end.line) : NULL, *d = c ? column(ctx, end.line, end.column) : NULL;
    if (!a || !b || !c || !d) {
        Py_XDECREF(a), Py_XDECREF(b), Py_XDECREF(c), Py_XDECREF(d), Py_DECREF(span);
        return NULL;
    }
    PyTuple_SET_ITEM(span, 0, a), PyTuple_SET_ITEM(span, 1, b), PyTuple_SET_ITEM(span, 2, c);
    PyTuple_SET_ITEM(span, 3, d);
    return span;
}

static int next_event(Ctx *ctx, yaml_event_t *event) {
    if (!yaml_parser_parse(&ctx->parser, event)) {
        unsupported("libyaml reported an error");
        return 0;
    }
    return 1;
}

static int has_tag(const yaml_char_t *tag) { return tag != NULL && !(tag[0] == '!' && tag[1] == '\0'); }

static int remember(Ctx *ctx, const yaml_char_t *anchor, PyObject *node) {
    if (anchor == NULL) return 0;
    PyObject *name = PyUnicode_FromString((const char *)anchor);
    if (name == NULL) return -1;
    int known = PyDict_Contains(ctx->anchors, name);
    int rc = known < 0 ? -1 : known ? (unsupported("duplicate anchor"), -1) : PyDict_SetItem(ctx->anchors, name, node);
    Py_DECREF(name);
    return rc;
}

static PyObject *compose_node(Ctx *ctx, yaml_event_t *event, int depth);

static PyObject *compose_scalar(Ctx *ctx, yaml_event_t *event) {
    if (has_tag(event->data.scalar.tag)) return unsupported("explicit tag");
    PyObject *raw = PyUnicode_DecodeUTF8((const char *)event->data.scalar.value,
                                         (Py_ssize_t)event->data.scalar.length, "strict");
    if (raw == NULL) return NULL;
    PyObject *style;
    switch (event->data.scalar.style) {
        case YAML_SINGLE_QUOTED_SCALAR_STYLE: style = K.style_single; break;
        case YAML_DOUBLE_QUOTED_SCALAR_STYLE: style = K.style_double; break;
        case YAML_LITERAL_SCALAR_STYLE: style = K.style_literal; break;
        case YAML_FOLDED_SCALAR_STYLE: style = K.style_folded; break;
        default: style = K.style_plain;
    }
    /* A plain scalar's value by YAML 1.2's core schema, as nodes.plain_value gives it: numbers go through it, the
       words true/false/null (and ~) are looked up, the empty scalar is null, anything else is its text. */
    PyObject *value;
    unsigned char first = event->data.scalar.length ? event->data.scalar.value[0] : 0;
    if (style != K.style_plain) {
        value = Py_NewRef(raw);
    } else if (first == 0) {
        value = Py_NewRef(Py_None);
    } else if (strchr("0123456789+-.", first) != NULL) {
        value = PyObject_CallOneArg(K.plain_value, raw);
    } else if (strchr("tTfFnN~", first) != NULL) {
        PyObject *word = PyDict_GetItemWithError(K.words, raw);
        value = word != NULL ? Py_NewRef(word) : PyErr_Occurred() ? NULL : Py_NewRef(raw);
    } else {
        value = Py_NewRef(raw);
    }
    if (value == NULL) {
        Py_DECREF(raw);
        return NULL;
    }
    PyObject *span = make_span(ctx, event->start_mark, event->end_mark);
    PyObject *node = span ? K.scalar->tp_alloc(K.scalar, 0) : NULL;
    if (node == NULL) {
        Py_XDECREF(span), Py_DECREF(raw), Py_DECREF(value);
        return NULL;
    }
    put(node, K.s_raw, raw);
    put_borrowed(node, K.s_style, style);
    put_borrowed(node, K.s_tag, K.style_plain); /* "": no explicit tag */
    put(node, K.s_value, value);
    put_borrowed(node, K.s_start, Py_None);
    put_borrowed(node, K.s_end, Py_None);
    put(node, K.s_span, span);
    if (remember(ctx, event->data.scalar.anchor, node) < 0) {
        Py_DECREF(node);
        return NULL;
    }
    return node;
}

/* A sequence or a map: created at its start event (so an anchor on it is known inside), completed at its end. */
static PyObject *compose_collection(Ctx *ctx, yaml_event_t *event, int depth, int is_map) {
    const yaml_char_t *tag = is_map ? event->data.mapping_start.tag : event->data.sequence_start.tag;
    const yaml_char_t *anchor = is_map ? event->data.mapping_start.anchor : event->data.sequence_start.anchor;
    int flow = is_map ? event->data.mapping_start.style == YAML_FLOW_MAPPING_STYLE
                      : event->data.sequence_start.style == YAML_FLOW_SEQUENCE_STYLE;
    int block = is_map ? event->data.mapping_start.style == YAML_BLOCK_MAPPING_STYLE
                       : event->data.sequence_start.style == YAML_BLOCK_SEQUENCE_STYLE;
    if (has_tag(tag)) return unsupported("explicit tag");
    if (depth > K.max_depth) return unsupported("nesting deeper than the node classes read");
    yaml_mark_t start = event->start_mark;
    PyTypeObject *type = is_map ? K.map : K.seq;
    PyObject *list = PyList_New(0);
    PyObject *node = list ? type->tp_alloc(type, 0) : NULL;
    if (node == NULL) {
        Py_XDECREF(list);
        return NULL;
    }
    put(node, K.c_value, list); /* the node owns the list; `list` stays a borrowed alias */
    put_borrowed(node, K.c_tag, K.style_plain);
    put_borrowed(node, K.c_flow, flow ? Py_True : block ? Py_False : Py_None);
    put_borrowed(node, K.c_start_mark, Py_None);
    put_borrowed(node, K.c_children, K.empty);
    put_borrowed(node, K.c_items, K.empty);
    put_borrowed(node, K.c_index, Py_None);
    put_borrowed(node, K.c_starts, Py_None);
    put_borrowed(node, K.c_memos, Py_None);
    if (remember(ctx, anchor, node) < 0) goto fail;
    yaml_event_type_t end_type = is_map ? YAML_MAPPING_END_EVENT : YAML_SEQUENCE_END_EVENT;
    yaml_event_t child;
    for (;;) {
        if (!next_event(ctx, &child)) goto fail;
        if (child.type == end_type) break;
        PyObject *key = compose_node(ctx, &child, depth + 1);
        yaml_event_delete(&child);
        if (key == NULL) goto fail;
        if (!is_map) {
            int rc = PyList_Append(list, key);
            Py_DECREF(key);
            if (rc < 0) goto fail;
            continue;
        }
        if (!next_event(ctx, &child)) {
            Py_DECREF(key);
            goto fail;
        }
        PyObject *value = compose_node(ctx, &child, depth + 1);
        yaml_event_delete(&child);
        PyObject *pair = value ? PyTuple_Pack(2, key, value) : NULL;
        Py_DECREF(key);
        Py_XDECREF(value);
        if (pair == NULL) goto fail;
        int rc = PyList_Append(list, pair);
        Py_DECREF(pair);
        if (rc < 0) goto fail;
    }
    PyObject *span = make_span(ctx, start, child.end_mark);
    yaml_event_delete(&child);
    if (span == NULL) goto fail;
    put(node, K.c_span, span);
    if (!is_map) {
        PyObject *children = PyList_AsTuple(list);
        if (children == NULL) goto fail;
        Py_SETREF(SLOT(node, K.c_children), children);
        return node;
    }
    /* A map whose keys are all scalars, distinct and without `<<` is final (nodes.MapNode._complete). */
    Py_ssize_t n = PyList_GET_SIZE(list);
    PyObject *index = PyDict_New();
    if (index == NULL) goto fail;
    for (Py_ssize_t i = 0; i < n; i++) {
        PyObject *key = PyTuple_GET_ITEM(PyList_GET_ITEM(list, i), 0);
        if (Py_TYPE(key) != K.scalar) continue;
        PyObject *pos = PyLong_FromSsize_t(i);
        int rc = pos ? PyDict_SetItem(index, SLOT(key, K.s_value), pos) : -1;
        Py_XDECREF(pos);
        if (rc < 0) {
            Py_DECREF(index);
            goto fail;
        }
    }
    int merges = PyDict_Contains(index, K.merge_key);
    if (merges < 0) {
        Py_DECREF(index);
        goto fail;
    }
    PyObject *items;
    if (PyDict_GET_SIZE(index) == n && !merges) {
        items = PyList_AsTuple(list);
        Py_SETREF(SLOT(node, K.c_index), index);
    } else {
        Py_DECREF(index);
        items = PyObject_CallOneArg(K.merged_items, list);
    }
    if (items == NULL) goto fail;
    Py_SETREF(SLOT(node, K.c_items), items);
    return node;
fail:
    Py_DECREF(node);
    return NULL;
}

static PyObject *compose_node(Ctx *ctx, yaml_event_t *event, int depth) {
    switch (event->type) {
        case YAML_ALIAS_EVENT: {
            PyObject *name = PyUnicode_FromString((const char *)event->data.alias.anchor);
            if (name == NULL) return NULL;
            PyObject *node = PyDict_GetItemWithError(ctx->anchors, name);
            Py_DECREF(name);
            if (node == NULL) return PyErr_Occurred() ? NULL : unsupported("undefined alias");
            return Py_NewRef(node);
        }
        case YAML_SCALAR_EVENT: return compose_scalar(ctx, event);
        case YAML_SEQUENCE_START_EVENT: return compose_collection(ctx, event, depth, 0);
        case YAML_MAPPING_START_EVENT: return compose_collection(ctx, event, depth, 1);
        default: return unsupported("unexpected event");
    }
}

/* Which lines ("\n"-separated, as LineIndex splits them) are ASCII: their columns need no conversion. */
static int mark_ascii_lines(Ctx *ctx, const char *utf8, Py_ssize_t size) {
    size_t lines = 1;
    for (Py_ssize_t i = 0; i < size; i++) lines += utf8[i] == '\n';
    ctx->ascii_lines = PyMem_Malloc(lines);
    if (ctx->ascii_lines == NULL) {
        PyErr_NoMemory();
        return 0;
    }
    memset(ctx->ascii_lines, 1, lines);
    size_t line = 0;
    for (Py_ssize_t i = 0; i < size; i++) {
        unsigned char c = (unsigned char)utf8[i];
        if (c == '\n') line++;
        else if (c >= 0x80) ctx->ascii_lines[line] = 0;
    }
    ctx->n_lines = lines;
    return 1;
}

/* The root node of the stream's one document, None for an empty stream; NULL with an exception otherwise. */
static PyObject *compose_stream(Ctx *ctx) {
    yaml_event_t event;
    if (!next_event(ctx, &event)) return NULL; /* STREAM-START */
    yaml_event_delete(&event);
    if (!next_event(ctx, &event)) return NULL;
    yaml_event_type_t type = event.type;
    yaml_event_delete(&event);
    if (type == YAML_STREAM_END_EVENT) return Py_NewRef(Py_None);
    /* DOCUMENT-START was read: the root node, DOCUMENT-END, then the end of the stream */
    if (!next_event(ctx, &event)) return NULL;
    PyObject *root = compose_node(ctx, &event, 1);
    yaml_event_delete(&event);
    for (int i = 0; root != NULL && i < 2; i++) {
        if (!next_event(ctx, &event)) {
            Py_CLEAR(root);
            break;
        }
        type = event.type;
        yaml_event_delete(&event);
        if (type != (i == 0 ? YAML_DOCUMENT_END_EVENT : YAML_STREAM_END_EVENT)) {
            Py_CLEAR(root);
            unsupported("more than one document");
        }
    }
    return root;
}

/* compose(text, convert) -> the root node, or None for an empty stream; raises Unsupported (see the top). */
static PyObject *compose(PyObject *self, PyObject *args) {
    PyObject *text, *convert;
    if (!PyArg_ParseTuple(args, "UO", &text, &convert)) return NULL;
    if (!K.ready) return unsupported("not configured");
    /* An ASCII str is its own UTF-8; any other is encoded into a temporary (PyUnicode_AsUTF8 would keep a copy
       attached to the document's text for as long as the text lives). */
    Py_ssize_t size;
    PyObject *encoded = NULL;
    const char *utf8;
    if (PyUnicode_IS_ASCII(text)) {
        utf8 = PyUnicode_AsUTF8AndSize(text, &size);
    } else {
        encoded = PyUnicode_AsUTF8String(text);
        utf8 = encoded ? PyBytes_AS_STRING(encoded) : NULL;
        size = encoded ? PyBytes_GET_SIZE(encoded) : 0;
    }
    if (utf8 == NULL) {
        PyErr_Clear();
        return unsupported("text is not valid UTF-8 (lone surrogates)");
    }
    Ctx ctx = {.convert = convert, .anchors = PyDict_New(), .line_obj = NULL, .ascii_lines = NULL, .n_lines = 0};
    PyObject *root = NULL;
    int parser_ready = 0;
    if (ctx.anchors == NULL || (convert != Py_None && !mark_ascii_lines(&ctx, utf8, size))) goto done;
    if (!(parser_ready = yaml_parser_initialize(&ctx.parser))) {
        PyErr_NoMemory();
        goto done;
    }
    yaml_parser_set_input_string(&ctx.parser, (const unsigned char *)utf8, (size_t)size);
    root = compose_stream(&ctx);
done:
    if (parser_ready) yaml_parser_delete(&ctx.parser);
    Py_XDECREF(ctx.anchors);
    Py_XDECREF(ctx.line_obj);
    PyMem_Free(ctx.ascii_lines);
    Py_XDECREF(encoded);
    return root;
}

/* ---- materialize: a tree's plain data, as merge.Materializer.value makes it ------------------------------- */

typedef struct {
    PyObject *interpolate; /* (node, text) -> text, for strings holding `$` */
    PyObject *tagged;      /* node -> data, for a node with an explicit tag (`!reset`, `!override`) */
    PyObject *budget;      /* [nodes left]: shared with the Python side, synced around `tagged` */
    long long left;
} Mat;

static PyObject *bomb(void) {
    PyErr_SetNone(K.alias_bomb);
    return NULL;
}

static int is_ours(PyObject *node) {
    PyTypeObject *t = Py_TYPE(node);
    return t == K.scalar || t == K.seq || t == K.map;
}

static PyObject *tag_of(PyObject *node) {
    return SLOT(node, Py_TYPE(node) == K.scalar ? K.s_tag : K.c_tag);
}

static int plain_scalar(PyObject *node) { /* a scalar that is its own value: untagged, no `$` to interpolate */
    if (Py_TYPE(node) != K.scalar || PyUnicode_GET_LENGTH(SLOT(node, K.s_tag)) != 0) return 0;
    PyObject *value = SLOT(node, K.s_value);
    return !PyUnicode_Check(value) || PyUnicode_FindChar(value, '$', 0, PyUnicode_GET_LENGTH(value), 1) < 0;
}

static PyObject *mat_value(Mat *m, PyObject *node);

static PyObject *mat_child(Mat *m, PyObject *child) {
    if (plain_scalar(child)) { /* most of a compose file: no call, one node of the budget (as in Python) */
        m->left -= 1;
        return Py_NewRef(SLOT(child, K.s_value));
    }
    /* Aliases can nest trees in trees: the interpreter's recursion limit bounds the C stack, as it bounds Python's. */
    if (Py_EnterRecursiveCall(" while materializing compose data")) return NULL;
    PyObject *out = mat_value(m, child);
    Py_LeaveRecursiveCall();
    return out;
}

static PyObject *mat_value(Mat *m, PyObject *node) {
    if (!is_ours(node) || PyUnicode_GET_LENGTH(tag_of(node)) != 0) {
        PyObject *left = PyLong_FromLongLong(m->left);
        if (left == NULL || PyList_SetItem(m->budget, 0, left) < 0) return NULL;
        PyObject *out = PyObject_CallOneArg(m->tagged, node);
        PyObject *now = PyList_GetItem(m->budget, 0);
        if (now == NULL || ((m->left = PyLong_AsLongLong(now)) == -1 && PyErr_Occurred())) Py_CLEAR(out);
        return out;
    }
    if (--m->left < 0) return bomb();
    PyTypeObject *type = Py_TYPE(node);
    PyObject *out;
    if (type == K.scalar) {
        PyObject *value = SLOT(node, K.s_value);
        if (PyUnicode_Check(value) && PyUnicode_FindChar(value, '$', 0, PyUnicode_GET_LENGTH(value), 1) >= 0)
            return PyObject_CallFunctionObjArgs(m->interpolate, node, value, NULL);
        return Py_NewRef(value);
    }
    if (type == K.seq) {
        PyObject *children = SLOT(node, K.c_children);
        Py_ssize_t n = PyTuple_GET_SIZE(children);
        out = PyList_New(n);
        if (out == NULL) return NULL;
        for (Py_ssize_t i = 0; i < n; i++) {
            PyObject *v = mat_child(m, PyTuple_GET_ITEM(children, i));
            if (v == NULL) {
                Py_DECREF(out);
                return NULL;
            }
            PyList_SET_ITEM(out, i, v);
        }
    } else {
        PyObject *items = SLOT(node, K.c_items);
        Py_ssize_t n = PyTuple_GET_SIZE(items);
        out = PyDict_New();
        if (out == NULL) return NULL;
        for (Py_ssize_t i = 0; i < n; i++) {
            PyObject *pair = PyTuple_GET_ITEM(items, i);
            PyObject *k = PyTuple_GET_ITEM(pair, 0), *key;
            if (Py_TYPE(k) == K.scalar) {
                key = Py_NewRef(SLOT(k, K.s_value));
            } else { /* a list or map as a key: its text form (rare; the structure rules flag it) */
                PyObject *data = PyObject_CallMethod(k, "to_python", NULL);
                key = data ? PyObject_Str(data) : NULL;
                Py_XDECREF(data);
            }
            int seen = key ? PyDict_Contains(out, key) : -1;
            PyObject *v = seen == 0 ? mat_child(m, PyTuple_GET_ITEM(pair, 1)) : NULL;
            int rc = seen < 0 || (seen == 0 && v == NULL) ? -1 : seen ? 0 : PyDict_SetItem(out, key, v);
            Py_XDECREF(key);
            Py_XDECREF(v);
            if (rc < 0) {
                Py_DECREF(out);
                return NULL;
            }
        }
    }
    if (m->left < 0) {
        Py_DECREF(out);
        return bomb();
    }
    return out;
}

/* materialize(node, interpolate, tagged, budget) -> data; updates budget[0] like the Python walk does. */
static PyObject *materialize(PyObject *self, PyObject *args) {
    Mat m;
    PyObject *node;
    if (!PyArg_ParseTuple(args, "OOOO!", &node, &m.interpolate, &m.tagged, &PyList_Type, &m.budget)) return NULL;
    if (!K.ready) return unsupported("not configured");
    PyObject *left = PyList_GetItem(m.budget, 0);
    if (left == NULL || ((m.left = PyLong_AsLongLong(left)) == -1 && PyErr_Occurred())) return NULL;
    PyObject *out = mat_value(&m, node);
    PyObject *now = PyLong_FromLongLong(m.left);
    if (now == NULL || PyList_SetItem(m.budget, 0, now) < 0) Py_CLEAR(out);
    return out;
}

static PyMethodDef methods[] = {
    {"configure", configure, METH_VARARGS,
     "configure(ScalarNode, SeqNode, MapNode, Span, plain_value, merged_items, words, AliasBombError, max_depth)"},
    {"compose", compose, METH_VARARGS, "compose(text, convert) -> root node or None; raises Unsupported"},
    {"materialize", materialize, METH_VARARGS, "materialize(node, interpolate, tagged, budget) -> plain data"},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef module = {PyModuleDef_HEAD_INIT, "_fastcompose", NULL, -1, methods};

PyMODINIT_FUNC PyInit__fastcompose(void) {
    PyObject *m = PyModule_Create(&module);
    if (m == NULL) return NULL;
    Unsupported = PyErr_NewException("dockhand.compose._fastcompose.Unsupported", NULL, NULL);
    if (Unsupported == NULL || PyModule_AddObjectRef(m, "Unsupported", Unsupported) < 0) {
        Py_DECREF(m);
        return NULL;
    }
    return m;
}
