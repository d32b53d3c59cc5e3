/*
 * The lines of a document's nodes (see docpos.h).  YAML is read again with
 * libyaml's event parser, JSON with a small scanner of its tokens; either
 * walks the tree built by doc.c in step, child by child, since doc.c added
 * the nodes in the order their events or tokens came.  Nothing here
 * allocates more than one entry per node, and a walk that finds no node
 * where the text has one stops there.
 */
#include <stdlib.h>
#include <string.h>

#include <yaml.h>

#include "doc.h"
#include "docpos.h"
#include "error.h"
#include "fs.h"
#include "util.h"

struct where {
	const cJSON *node;	/* a node of the tree */
	int line;		/* its line, from 1 */
};

struct mlreg_docpos {
	struct where *v;	/* sorted by node pointer before a lookup */
	size_t n, alloc;
	size_t sorted;		/* how many of v are known to be in order */
};

/* One open mapping or sequence during a walk. */
struct frame {
	const cJSON *next;	/* the next child not yet placed */
	int is_map;		/* a mapping: keys and values alternate */
	int want_key;		/* in a mapping, the next scalar is a key */
	int key_line;		/* the line of the last key read */
};

void mlreg_docpos_add(struct mlreg_docpos *p, const cJSON *node, int line)
{
	MLREG_ALLOC_GROW(p->v, p->n + 1, p->alloc);
	p->v[p->n].node = node;
	p->v[p->n].line = line;
	p->n++;
}

/*
 * Places the next value of the walk, which starts at line; returns the node
 * or NULL when the tree has none there (the walk stops).  is_key says the
 * text holds a mapping key here, which is no node of its own.
 */
static const cJSON *place(struct mlreg_docpos *p, const cJSON *root, struct frame *st,
			  int depth, int line, int *is_key)
{
	struct frame *top;
	const cJSON *node;

	*is_key = 0;
	if (depth == 0) {
		mlreg_docpos_add(p, root, line);
		return root;
	}
	top = &st[depth - 1];
	if (top->is_map && top->want_key) {
		top->want_key = 0;
		top->key_line = line;
		*is_key = 1;
		return NULL;
	}
	if (!(node = top->next))
		return NULL;
	top->next = node->next;
	if (top->is_map)
		top->want_key = 1;
	mlreg_docpos_add(p, node, top->is_map ? top->key_line : line);
	return node;
}

/* Walks YAML text alongside doc; returns 0, or -1 when the two parted. */
static int walk_yaml(struct mlreg_docpos *p, const cJSON *doc, const char *text, size_t len)
{
	struct frame st[MLREG_DOC_MAX_DEPTH + 1];
	yaml_parser_t parser;
	yaml_event_t ev;
	int depth = 0, done = 0, bad = 0;

	if (!yaml_parser_initialize(&parser))
		return -1;
	yaml_parser_set_input_string(&parser, (const unsigned char *)text, len);
	while (!done && !bad) {
		const cJSON *node;
		int line, is_key;

		if (!yaml_parser_parse(&parser, &ev))
			break;
		line = (int)ev.start_mark.line + 1;
		switch (ev.type) {
		case YAML_STREAM_END_EVENT:
			done = 1;
			break;
		case YAML_SCALAR_EVENT:
			node = place(p, doc, st, depth, line, &is_key);
			bad = !node && !is_key;
			break;
		case YAML_SEQUENCE_START_EVENT:
		case YAML_MAPPING_START_EVENT:
			node = place(p, doc, st, depth, line, &is_key);
			if (!node || depth >= MLREG_DOC_MAX_DEPTH) {
				bad = 1;	/* a key is never a collection in doc.c's trees */
				break;
			}
			st[depth].next = node->child;
			st[depth].is_map = ev.type == YAML_MAPPING_START_EVENT;
			st[depth].want_key = st[depth].is_map;
			st[depth].key_line = line;
			depth++;
			break;
		case YAML_SEQUENCE_END_EVENT:
		case YAML_MAPPING_END_EVENT:
			if (depth > 0)
				depth--;
			break;
		case YAML_ALIAS_EVENT:
			bad = 1;	/* doc.c refuses them: no tree to walk */
			break;
		default:
			break;
		}
		yaml_event_delete(&ev);
	}
	yaml_parser_delete(&parser);
	return bad ? -1 : 0;
}

/* Returns the index past a JSON string starting at text[i] (a '"'). */
static size_t skip_string(const char *text, size_t len, size_t i)
{
	for (i++; i < len && text[i] != '"'; i++)
		if (text[i] == '\\')
			i++;
	return i < len ? i + 1 : len;
}

/* Walks JSON text alongside doc; returns 0, or -1 when the two parted. */
static int walk_json(struct mlreg_docpos *p, const cJSON *doc, const char *text, size_t len)
{
	struct frame st[MLREG_DOC_MAX_DEPTH + 1];
	int depth = 0, line = 1, is_key;
	size_t i = 0;

	while (i < len) {
		char c = text[i];
		const cJSON *node;

		if (c == '\n') {
			line++;
			i++;
			continue;
		}
		if (strchr(" \t\r,:", c)) {
			i++;
			continue;
		}
		if (c == '}' || c == ']') {
			if (depth > 0)
				depth--;
			i++;
			continue;
		}
		/* a value or a key starts here */
		node = place(p, doc, st, depth, line, &is_key);
		if (!node && !is_key)
			return -1;
		if (c == '{' || c == '[') {
			if (is_key || depth >= MLREG_DOC_MAX_DEPTH)
				return -1;
			st[depth].next = node->child;
			st[depth].is_map = c == '{';
			st[depth].want_key = st[depth].is_map;
			st[depth].key_line = line;
			depth++;
			i++;
		} else if (c == '"') {
			size_t end = skip_string(text, len, i);
			for (; i < end; i++)	/* a raw newline cannot be in a string, but count it */
				line += text[i] == '\n';
		} else {
			while (i < len && !strchr(" \t\r\n,:]}", text[i]))
				i++;
		}
		if (depth == 0 && node == doc && !cJSON_IsObject(doc) && !cJSON_IsArray(doc))
			break;	/* a lone scalar */
	}
	return 0;
}

static int by_node(const void *a, const void *b)
{
	const struct where *x = a, *y = b;

	return x->node < y->node ? -1 : x->node > y->node;
}

struct mlreg_docpos *mlreg_docpos_new(void)
{
	return xcalloc(1, sizeof(struct mlreg_docpos));
}

/* Sorts the entries by node, once, so that lookups can search them. */
static void seal(struct mlreg_docpos *p)
{
	if (p->sorted == p->n)
		return;
	qsort(p->v, p->n, sizeof(*p->v), by_node);
	p->sorted = p->n;
}

struct mlreg_docpos *mlreg_docpos_build(const cJSON *doc, const char *text, size_t len)
{
	struct mlreg_docpos *p = mlreg_docpos_new();
	size_t i = 0;

	if (!doc || !text)
		return p;
	/* the same choice as mlreg_doc_parse(): JSON when it starts with { or [ */
	if (len >= 3 && !memcmp(text, "\xef\xbb\xbf", 3))
		i = 3;
	while (i < len && strchr(" \t\r\n", text[i]))
		i++;
	if (i < len && (text[i] == '{' || text[i] == '['))
		walk_json(p, doc, text, len);
	else
		walk_yaml(p, doc, text, len);
	seal(p);
	return p;
}

int mlreg_docpos_line(const struct mlreg_docpos *pos, const cJSON *node)
{
	struct where key, *hit;

	if (!pos || !node || !pos->n)
		return 0;
	seal((struct mlreg_docpos *)pos);	/* the order is no observable state */
	key.node = node;
	hit = bsearch(&key, pos->v, pos->n, sizeof(*pos->v), by_node);
	return hit ? hit->line : 0;
}

void mlreg_docpos_free(struct mlreg_docpos *pos)
{
	if (!pos)
		return;
	free(pos->v);
	free(pos);
}

int mlreg_docpos_parse_file(cJSON **out, struct mlreg_docpos **pos, const char *path,
			    const char *shown)
{
	char *buf;
	size_t len;
	int err;

	*out = NULL;
	*pos = NULL;
	if ((err = mlreg_fs_read_file(&buf, &len, path, MLREG_DOC_MAX_BYTES, shown)) < 0)
		return err == MLREG_ENOTFOUND ? mlreg_error_set(MLREG_EOS, "%s",
						mlreg_error_message()) : err;
	if ((err = mlreg_doc_parse(out, buf, len, shown)) == 0)
		*pos = mlreg_docpos_build(*out, buf, len);
	free(buf);
	return err;
}
