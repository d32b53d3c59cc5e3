/*
 * The XML reader of S3 answers (see xml.h).  One pass over the input builds
 * an array of elements linked by index (first child, next sibling) and one
 * string area holding every local name and every element's decoded text;
 * when the document is complete the indexes and offsets become pointers, so
 * a handle is a plain pointer that stays valid until mlreg_xml_free().  The
 * input must be UTF-8 without NUL bytes; a byte order mark is skipped.  What
 * XML 1.0 allows is read (declaration, comments, processing instructions,
 * CDATA, attributes, character and predefined entity references); a
 * DOCTYPE is refused, so no other entity can be defined or expanded.  Two
 * liberties, both harmless since nothing here is trusted: attributes are
 * checked for syntax but not for duplicates (they are thrown away), and raw
 * control characters other than NUL pass through in text, as some
 * S3-compatible servers send them unescaped in keys.
 */
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "error.h"
#include "text.h"
#include "util.h"
#include "xml.h"

struct mlreg_xml_node {
	union {
		size_t off;			/* while parsing: offset in the string area */
		const char *s;			/* after: the local name */
	} name;
	union {
		size_t off;
		const char *s;			/* after: the decoded text */
	} text;
	union {
		uint32_t i;			/* while parsing: index + 1, 0 for none */
		const struct mlreg_xml_node *p;	/* after: the element or NULL */
	} child, next;
};

struct mlreg_xml {
	struct mlreg_xml_node *nodes;	/* nodes[0] is the root */
	size_t count;
	char *strings;			/* names and texts, each NUL-terminated */
};

/* An element whose end tag is still to come. */
struct open_elem {
	uint32_t node;		/* index in nodes */
	uint32_t last;		/* index + 1 of its last child so far, 0 for none */
	const char *qname;	/* its qualified name, in the input */
	size_t qlen;
};

struct parser {
	const char *buf;
	size_t len, pos;
	struct mlreg_xml_node *nodes;
	size_t count, cap;
	struct mlreg_buf str;			/* the string area */
	struct open_elem open[MLREG_XML_MAX_DEPTH];
	struct mlreg_buf text[MLREG_XML_MAX_DEPTH];	/* text of each open element */
	int depth;
	int root_seen;
};

/* Returns MLREG_EINVALID after setting "malformed XML at byte at: <fmt>". */
static int fail(size_t at, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int fail(size_t at, const char *fmt, ...)
{
	char msg[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	return mlreg_error_set(MLREG_EINVALID, "malformed XML at byte %zu: %s", at, msg);
}

/* Returns n capped at 64, to quote names from the input in messages. */
static int qlen(size_t n)
{
	return n > 64 ? 64 : (int)n;
}

/* Returns the offset in the string area of a NUL-terminated copy of s. */
static size_t str_add(struct parser *p, const char *s, size_t n)
{
	size_t off = p->str.len;

	mlreg_buf_add(&p->str, s, n);
	mlreg_buf_add(&p->str, "", 1);	/* the copy's own NUL */
	return off;
}

/* Returns 1 for XML's white space. */
static int is_space(unsigned char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

/* Returns 1 for a byte that may start a name (any non-ASCII byte is taken). */
static int is_name_start(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' || c == ':' ||
	       c >= 0x80;
}

/* Returns 1 for a byte that may continue a name. */
static int is_name_char(unsigned char c)
{
	return is_name_start(c) || (c >= '0' && c <= '9') || c == '-' || c == '.';
}

/* Returns 1 when the input at p->pos starts with s. */
static int at(const struct parser *p, const char *s)
{
	size_t n = strlen(s);

	return p->len - p->pos >= n && !memcmp(p->buf + p->pos, s, n);
}

/* Returns the number of white-space bytes skipped at p->pos. */
static size_t skip_space(struct parser *p)
{
	size_t start = p->pos;

	while (p->pos < p->len && is_space((unsigned char)p->buf[p->pos]))
		p->pos++;
	return p->pos - start;
}

/* Returns 0 and the name at p->pos in *name, *n, or MLREG_EINVALID. */
static int parse_name(struct parser *p, const char **name, size_t *n, const char *what)
{
	size_t start = p->pos;

	if (p->pos >= p->len)
		return fail(p->pos, "unexpected end of input in %s", what);
	if (!is_name_start((unsigned char)p->buf[p->pos]))
		return fail(p->pos, "%s does not start with a name", what);
	while (p->pos < p->len && is_name_char((unsigned char)p->buf[p->pos]))
		p->pos++;
	*name = p->buf + start;
	*n = p->pos - start;
	return 0;
}

/* Returns 0 when the whole input is UTF-8 without NUL, else MLREG_EINVALID. */
static int check_utf8(const unsigned char *s, size_t len)
{
	size_t i = mlreg_utf8_check((const char *)s, len);

	if (i < len)
		return fail(i, s[i] ? "invalid UTF-8" : "NUL byte");
	return 0;
}

/* Appends code point cp to b as UTF-8. */
static void add_utf8(struct mlreg_buf *b, uint32_t cp)
{
	char u[4];
	size_t n;

	if (cp < 0x80) {
		u[0] = (char)cp;
		n = 1;
	} else if (cp < 0x800) {
		u[0] = (char)(0xc0 | (cp >> 6));
		u[1] = (char)(0x80 | (cp & 0x3f));
		n = 2;
	} else if (cp < 0x10000) {
		u[0] = (char)(0xe0 | (cp >> 12));
		u[1] = (char)(0x80 | ((cp >> 6) & 0x3f));
		u[2] = (char)(0x80 | (cp & 0x3f));
		n = 3;
	} else {
		u[0] = (char)(0xf0 | (cp >> 18));
		u[1] = (char)(0x80 | ((cp >> 12) & 0x3f));
		u[2] = (char)(0x80 | ((cp >> 6) & 0x3f));
		u[3] = (char)(0x80 | (cp & 0x3f));
		n = 4;
	}
	mlreg_buf_add(b, u, n);
}

/*
 * Returns 0 after decoding the reference at p->pos (an '&') into out (NULL:
 * check only) and moving past it, or MLREG_EINVALID.
 */
static int parse_ref(struct parser *p, struct mlreg_buf *out)
{
	static const struct {
		const char *name;
		char c;
	} predefined[] = {
		{ "lt", '<' }, { "gt", '>' }, { "amp", '&' }, { "apos", '\'' }, { "quot", '"' },
	};
	size_t start = p->pos, i = p->pos + 1;

	if (i < p->len && p->buf[i] == '#') {
		uint32_t cp = 0, base = 10;
		size_t digits = 0;

		if (++i < p->len && p->buf[i] == 'x') {
			base = 16;
			i++;
		}
		for (; i < p->len && p->buf[i] != ';'; i++, digits++) {
			unsigned char c = (unsigned char)p->buf[i];
			uint32_t d;

			if (c >= '0' && c <= '9')
				d = c - '0';
			else if (base == 16 && c >= 'a' && c <= 'f')
				d = c - 'a' + 10;
			else if (base == 16 && c >= 'A' && c <= 'F')
				d = c - 'A' + 10;
			else
				return fail(start, "malformed character reference");
			/* Saturates above U+10FFFF, so no overflow. */
			cp = cp > 0x10ffff ? 0x110000 : cp * base + d;
		}
		if (i >= p->len)
			return fail(start, "unterminated character reference");
		if (!digits)
			return fail(start, "malformed character reference");
		if (cp == 0 || (cp >= 0xd800 && cp <= 0xdfff) || cp > 0x10ffff)
			return fail(start, "character reference '%.*s' is not a character",
				    qlen(i + 1 - start), p->buf + start);
		if (out)
			add_utf8(out, cp);
		p->pos = i + 1;
		return 0;
	}
	while (i < p->len && i - start <= 32 && is_name_char((unsigned char)p->buf[i]))
		i++;
	if (i >= p->len || p->buf[i] != ';' || i == start + 1)
		return fail(start, "'&' starts no entity or character reference");
	{
		size_t k, n = i - start - 1;

		for (k = 0; k < sizeof(predefined) / sizeof(predefined[0]); k++)
			if (strlen(predefined[k].name) == n &&
			    !memcmp(predefined[k].name, p->buf + start + 1, n)) {
				if (out)
					mlreg_buf_add(out, &predefined[k].c, 1);
				p->pos = i + 1;
				return 0;
			}
		return fail(start, "unknown entity '%.*s'", qlen(i + 1 - start), p->buf + start);
	}
}

/* Appends n bytes of s to b with line ends (CR LF, CR) turned into LF. */
static void add_newlines(struct mlreg_buf *b, const char *s, size_t n)
{
	size_t i = 0;

	while (i < n) {
		const char *cr = memchr(s + i, '\r', n - i);
		size_t run = cr ? (size_t)(cr - (s + i)) : n - i;

		mlreg_buf_add(b, s + i, run);
		i += run;
		if (i < n) {
			mlreg_buf_add(b, "\n", 1);
			i++;
			if (i < n && s[i] == '\n')
				i++;
		}
	}
}

/*
 * Returns 0 after reading character data up to the next '<' into the open
 * element, or MLREG_EINVALID.
 */
static int parse_text(struct parser *p)
{
	struct mlreg_buf *b = p->depth ? &p->text[p->depth - 1] : NULL;

	while (p->pos < p->len && p->buf[p->pos] != '<') {
		size_t start = p->pos;
		unsigned char c;

		while (p->pos < p->len) {
			c = (unsigned char)p->buf[p->pos];
			if (c == '<' || c == '&' || c == ']' || c == '\r' ||
			    (!b && !is_space(c)))
				break;
			p->pos++;
		}
		if (b)
			mlreg_buf_add(b, p->buf + start, p->pos - start);
		if (p->pos >= p->len)
			break;
		c = (unsigned char)p->buf[p->pos];
		if (!b && !is_space(c) && c != '<')
			return fail(p->pos, "text outside the root element");
		if (c == '&') {
			int err = parse_ref(p, b);
			if (err < 0)
				return err;
		} else if (c == ']') {
			if (at(p, "]]>"))
				return fail(p->pos, "']]>' in text");
			mlreg_buf_add(b, "]", 1);
			p->pos++;
		} else if (c == '\r') {
			if (b)
				mlreg_buf_add(b, "\n", 1);
			p->pos++;
			if (p->pos < p->len && p->buf[p->pos] == '\n')
				p->pos++;
		}
	}
	return 0;
}

/*
 * Returns 0 after checking a quoted attribute value (its raw bytes in *v,
 * *vn), or MLREG_EINVALID.
 */
static int parse_attr_value(struct parser *p, const char **v, size_t *vn)
{
	char quote;
	size_t start = p->pos;

	if (p->pos >= p->len || (p->buf[p->pos] != '"' && p->buf[p->pos] != '\''))
		return fail(p->pos, "attribute value is not quoted");
	quote = p->buf[p->pos++];
	while (p->pos < p->len && p->buf[p->pos] != quote) {
		if (p->buf[p->pos] == '<')
			return fail(p->pos, "'<' in an attribute value");
		if (p->buf[p->pos] == '&') {
			int err = parse_ref(p, NULL);
			if (err < 0)
				return err;
		} else
			p->pos++;
	}
	if (p->pos >= p->len)
		return fail(start, "unterminated attribute value");
	*v = p->buf + start + 1;
	*vn = p->pos - start - 1;
	p->pos++;
	return 0;
}

/*
 * Returns 0 after reading "Name = value" at p->pos (name and raw value into
 * the pointers), or MLREG_EINVALID.
 */
static int parse_attr(struct parser *p, const char **name, size_t *n, const char **v, size_t *vn)
{
	int err;

	if ((err = parse_name(p, name, n, "an attribute")) < 0)
		return err;
	skip_space(p);
	if (p->pos >= p->len || p->buf[p->pos] != '=')
		return fail(p->pos, "attribute '%.*s' has no value", qlen(*n), *name);
	p->pos++;
	skip_space(p);
	return parse_attr_value(p, v, vn);
}

/* Returns 0 after reading the XML declaration's pseudo-attributes up to "?>", or MLREG_EINVALID. */
static int parse_decl(struct parser *p, size_t start)
{
	int have_version = 0;

	for (;;) {
		size_t ws = skip_space(p), n, vlen;
		const char *name, *v;
		int err;

		if (at(p, "?>")) {
			p->pos += 2;
			break;
		}
		if (p->pos >= p->len)
			return fail(start, "unterminated XML declaration");
		if (!ws)
			return fail(p->pos, "expected white space in the XML declaration");
		if ((err = parse_attr(p, &name, &n, &v, &vlen)) < 0)
			return err;
		if (n == 7 && !memcmp(name, "version", 7)) {
			if (vlen < 3 || memcmp(v, "1.", 2))
				return fail((size_t)(v - p->buf), "unsupported XML version");
			have_version = 1;
		} else if (n == 8 && !memcmp(name, "encoding", 8)) {
			if (vlen != 5 || strncasecmp(v, "utf-8", 5))
				return fail((size_t)(v - p->buf),
					    "unsupported encoding '%.*s' (only UTF-8 is read)",
					    qlen(vlen), v);
		} else if (!(n == 10 && !memcmp(name, "standalone", 10)))
			return fail((size_t)(name - p->buf),
				    "unknown '%.*s' in the XML declaration", qlen(n), name);
	}
	if (!have_version)
		return fail(start, "XML declaration without a version");
	return 0;
}

/* Returns 0 after reading "<?target ...?>" at p->pos, or MLREG_EINVALID. */
static int parse_pi(struct parser *p, size_t doc_start)
{
	size_t start = p->pos;
	const char *name, *end;
	size_t n;
	int err;

	p->pos += 2;
	if ((err = parse_name(p, &name, &n, "a processing instruction")) < 0)
		return err;
	if (n == 3 && !strncasecmp(name, "xml", 3)) {
		if (strncmp(name, "xml", 3))
			return fail(start, "reserved processing instruction target '%.*s'",
				    (int)n, name);
		if (start != doc_start)
			return fail(start, "XML declaration not at the start of the document");
		return parse_decl(p, start);
	}
	if (!at(p, "?>") && !skip_space(p))
		return fail(p->pos, "malformed processing instruction");
	end = memmem(p->buf + p->pos, p->len - p->pos, "?>", 2);
	if (!end)
		return fail(start, "unterminated processing instruction");
	p->pos = (size_t)(end - p->buf) + 2;
	return 0;
}

/* Returns 0 after reading "<!-- ... -->" at p->pos, or MLREG_EINVALID. */
static int parse_comment(struct parser *p)
{
	size_t start = p->pos;
	const char *dd;

	p->pos += 4;
	dd = memmem(p->buf + p->pos, p->len - p->pos, "--", 2);
	if (!dd)
		return fail(start, "unterminated comment");
	p->pos = (size_t)(dd - p->buf);
	if (p->pos + 2 >= p->len || p->buf[p->pos + 2] != '>')
		return fail(p->pos, "'--' inside a comment");
	p->pos += 3;
	return 0;
}

/* Returns 0 after reading "<![CDATA[ ... ]]>" into the open element's text, or MLREG_EINVALID. */
static int parse_cdata(struct parser *p)
{
	size_t start = p->pos;
	const char *end;

	if (!p->depth)
		return fail(start, "CDATA section outside the root element");
	p->pos += 9;
	end = memmem(p->buf + p->pos, p->len - p->pos, "]]>", 3);
	if (!end)
		return fail(start, "unterminated CDATA section");
	add_newlines(&p->text[p->depth - 1], p->buf + p->pos, (size_t)(end - (p->buf + p->pos)));
	p->pos = (size_t)(end - p->buf) + 3;
	return 0;
}

/* Returns a new element's index, linked as the last child of the innermost open element. */
static uint32_t new_node(struct parser *p, const char *qname, size_t n)
{
	const char *local = memrchr(qname, ':', n);
	struct mlreg_xml_node *e;
	uint32_t idx;

	MLREG_ALLOC_GROW(p->nodes, p->count + 1, p->cap);
	idx = (uint32_t)p->count++;
	e = &p->nodes[idx];
	local = local ? local + 1 : qname;
	e->name.off = str_add(p, local, n - (size_t)(local - qname));
	e->text.off = 0;
	e->child.i = 0;
	e->next.i = 0;
	if (p->depth) {
		struct open_elem *parent = &p->open[p->depth - 1];
		if (parent->last)
			p->nodes[parent->last - 1].next.i = idx + 1;
		else
			p->nodes[parent->node].child.i = idx + 1;
		parent->last = idx + 1;
	}
	return idx;
}

/* Returns 0 after reading a start tag or an empty-element tag at p->pos, or MLREG_EINVALID. */
static int parse_start_tag(struct parser *p)
{
	size_t start = p->pos, n, local_n;
	const char *name, *colon;
	uint32_t idx;
	int err;

	p->pos++;
	if ((err = parse_name(p, &name, &n, "a tag")) < 0)
		return err;
	colon = memrchr(name, ':', n);
	local_n = colon ? n - (size_t)(colon + 1 - name) : n;
	if (!local_n || name[0] == ':')
		return fail(start + 1, "malformed element name '%.*s'", qlen(n), name);
	if (!p->depth && p->root_seen)
		return fail(start, "a second root element '<%.*s>'", qlen(n), name);
	if (p->depth == MLREG_XML_MAX_DEPTH)
		return fail(start, "elements nest deeper than %d levels", MLREG_XML_MAX_DEPTH);
	if (p->count == MLREG_XML_MAX_ELEMENTS)
		return fail(start, "more than %d elements", MLREG_XML_MAX_ELEMENTS);
	idx = new_node(p, name, n);
	p->root_seen = 1;
	for (;;) {
		size_t ws = skip_space(p), an, vn;
		const char *aname, *v;

		if (p->pos >= p->len)
			return fail(start, "unterminated tag '<%.*s'", qlen(n), name);
		if (p->buf[p->pos] == '>') {
			struct open_elem *o = &p->open[p->depth];
			p->pos++;
			o->node = idx;
			o->last = 0;
			o->qname = name;
			o->qlen = n;
			p->text[p->depth].len = 0;
			p->depth++;
			return 0;
		}
		if (p->buf[p->pos] == '/') {
			if (p->pos + 1 >= p->len || p->buf[p->pos + 1] != '>')
				return fail(p->pos, "'/' not followed by '>' in a tag");
			p->pos += 2;
			p->nodes[idx].text.off = str_add(p, "", 0);
			return 0;
		}
		if (!ws)
			return fail(p->pos, "expected white space before an attribute");
		if ((err = parse_attr(p, &aname, &an, &v, &vn)) < 0)
			return err;	/* attributes, xmlns included, are not kept */
	}
}

/* Returns 0 after reading an end tag that closes the innermost open element, or MLREG_EINVALID. */
static int parse_end_tag(struct parser *p)
{
	size_t start = p->pos, n;
	const char *name;
	struct open_elem *o;
	struct mlreg_buf *t;
	int err;

	p->pos += 2;
	if ((err = parse_name(p, &name, &n, "an end tag")) < 0)
		return err;
	skip_space(p);
	if (p->pos >= p->len || p->buf[p->pos] != '>')
		return fail(start, "unterminated end tag '</%.*s'", qlen(n), name);
	p->pos++;
	if (!p->depth)
		return fail(start, "'</%.*s>' closes no element", qlen(n), name);
	o = &p->open[p->depth - 1];
	if (n != o->qlen || memcmp(name, o->qname, n))
		return fail(start, "'</%.*s>' does not close '<%.*s>'", qlen(n), name,
			    qlen(o->qlen), o->qname);
	t = &p->text[p->depth - 1];
	p->nodes[o->node].text.off = str_add(p, t->p ? t->p : "", t->len);
	p->depth--;
	return 0;
}

/* Returns 0 after reading the markup at p->pos (a '<'), or MLREG_EINVALID. */
static int parse_markup(struct parser *p, size_t doc_start)
{
	if (at(p, "<?"))
		return parse_pi(p, doc_start);
	if (at(p, "<!--"))
		return parse_comment(p);
	if (at(p, "<![CDATA["))
		return parse_cdata(p);
	if (at(p, "<!DOCTYPE"))
		return fail(p->pos, "document type declarations are refused");
	if (at(p, "<!ENTITY"))
		return fail(p->pos, "entity declarations are refused");
	if (at(p, "<!"))
		return fail(p->pos, "unknown markup declaration");
	if (at(p, "</"))
		return parse_end_tag(p);
	return parse_start_tag(p);
}

/* Returns the finished document, with indexes and offsets turned into pointers. */
static struct mlreg_xml *finish(struct parser *p)
{
	struct mlreg_xml *doc = xcalloc(1, sizeof(*doc));
	size_t i;

	doc->nodes = p->nodes;
	doc->count = p->count;
	doc->strings = p->str.p;
	for (i = 0; i < p->count; i++) {
		struct mlreg_xml_node *e = &p->nodes[i];
		size_t name = e->name.off, text = e->text.off;
		uint32_t child = e->child.i, next = e->next.i;

		e->name.s = doc->strings + name;
		e->text.s = doc->strings + text;
		e->child.p = child ? &p->nodes[child - 1] : NULL;
		e->next.p = next ? &p->nodes[next - 1] : NULL;
	}
	p->nodes = NULL;
	p->str.p = NULL;
	return doc;
}

/* Returns 0 and the document in *out, or MLREG_EINVALID (see xml.h). */
int mlreg_xml_parse(struct mlreg_xml **out, const char *buf, size_t len)
{
	struct parser p;
	size_t doc_start = 0;
	int err, i;

	*out = NULL;
	memset(&p, 0, sizeof(p));
	p.buf = buf;
	p.len = len;
	if ((err = check_utf8((const unsigned char *)buf, len)) < 0)
		return err;
	if (len >= 3 && !memcmp(buf, "\xef\xbb\xbf", 3))
		doc_start = p.pos = 3;
	while (p.pos < p.len) {
		if (p.buf[p.pos] == '<')
			err = parse_markup(&p, doc_start);
		else
			err = parse_text(&p);
		if (err < 0)
			goto done;
	}
	if (p.depth)
		err = fail(len, "unexpected end of input inside '<%.*s>'",
			   qlen(p.open[p.depth - 1].qlen), p.open[p.depth - 1].qname);
	else if (!p.root_seen)
		err = fail(len, "no root element");
	else
		*out = finish(&p);
done:
	for (i = 0; i < MLREG_XML_MAX_DEPTH; i++)
		free(p.text[i].p);
	free(p.nodes);
	free(p.str.p);
	return err;
}

/* Frees doc with its nodes and strings. */
void mlreg_xml_free(struct mlreg_xml *doc)
{
	if (!doc)
		return;
	free(doc->nodes);
	free(doc->strings);
	free(doc);
}

/* Returns the root element, the first node. */
mlreg_xml_node *mlreg_xml_root(const struct mlreg_xml *doc)
{
	return doc ? &doc->nodes[0] : NULL;
}

/* Returns the local name of n. */
const char *mlreg_xml_name(mlreg_xml_node *n)
{
	return n ? n->name.s : NULL;
}

/* Returns n or the first sibling after it named name (NULL: any), or NULL. */
static mlreg_xml_node *first_named(mlreg_xml_node *n, const char *name)
{
	for (; n; n = n->next.p)
		if (!name || !strcmp(n->name.s, name))
			return n;
	return NULL;
}

/* Returns the first child of n named name (NULL: any). */
mlreg_xml_node *mlreg_xml_child(mlreg_xml_node *n, const char *name)
{
	return n ? first_named(n->child.p, name) : NULL;
}

/* Returns the next sibling of n named name (NULL: any). */
mlreg_xml_node *mlreg_xml_next(mlreg_xml_node *n, const char *name)
{
	return n ? first_named(n->next.p, name) : NULL;
}

/* Returns the decoded text directly inside n. */
const char *mlreg_xml_text(mlreg_xml_node *n)
{
	return n ? n->text.s : NULL;
}

/* Returns the text of the first child named name, or NULL. */
const char *mlreg_xml_child_text(mlreg_xml_node *n, const char *name)
{
	return mlreg_xml_text(mlreg_xml_child(n, name));
}
