/*
 * Notes about the seed systems' files, and the small readers every format
 * of the family uses: dotted paths, presence, template placeholders (see
 * seed.h for the levels of a note and what each command makes of them).
 */
#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "error.h"
#include "seed.h"
#include "util.h"

void mlreg_seed_notes_init(struct mlreg_seed_notes *n, const char *file,
			   const struct mlreg_docpos *pos)
{
	int i;

	n->file = file;
	n->pos = pos;
	for (i = 0; i < MLREG_SEED_LEVELS; i++)
		n->list[i] = cJSON_CreateArray();
}

void mlreg_seed_notes_free(struct mlreg_seed_notes *n)
{
	int i;

	for (i = 0; i < MLREG_SEED_LEVELS; i++) {
		cJSON_Delete(n->list[i]);
		n->list[i] = NULL;
	}
}

void mlreg_seed_note(struct mlreg_seed_notes *n, enum mlreg_seed_level level,
		     const cJSON *node, const char *field, const char *fmt, ...)
{
	char msg[1024], where[64] = "";
	int line = mlreg_docpos_line(n->pos, node);
	char *text;
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (line > 0)
		snprintf(where, sizeof(where), " line %d", line);
	text = xasprintf("'%s'%s: %s%s%s", n->file ? n->file : "", where,
			 field && *field ? field : "", field && *field ? ": " : "", msg);
	cJSON_AddItemToArray(n->list[level], cJSON_CreateString(text));
	free(text);
}

int mlreg_seed_count(const struct mlreg_seed_notes *n, enum mlreg_seed_level level)
{
	return cJSON_GetArraySize(n->list[level]);
}

int mlreg_seed_refusal(const struct mlreg_seed_notes *n, const char *what)
{
	int count = mlreg_seed_count(n, MLREG_SEED_REFUSE);

	if (!count)
		return 0;
	return mlreg_error_set(MLREG_EINVALID, "invalid %s %s%s", what,
			       cJSON_GetArrayItem(n->list[MLREG_SEED_REFUSE], 0)->valuestring,
			       count > 1 ? " (and more: run 'mlreg validate')" : "");
}

void mlreg_seed_copy(cJSON *dst, const struct mlreg_seed_notes *n, enum mlreg_seed_level level)
{
	const cJSON *c;

	cJSON_ArrayForEach(c, n->list[level])
		cJSON_AddItemToArray(dst, cJSON_CreateString(c->valuestring));
}

const struct mlreg_entry *mlreg_seed_entry(const struct mlreg_entries *e, const char *root,
					   const char *name)
{
	size_t i, r = strlen(root);

	for (i = 0; i < e->n; i++)
		if (!strncmp(e->v[i].path, root, r) && !strcmp(e->v[i].path + r, name))
			return &e->v[i];
	return NULL;
}

const cJSON *mlreg_seed_at(const cJSON *doc, const char *path)
{
	char key[128];
	const char *s = path;

	while (doc && *s) {
		size_t len = strcspn(s, ".");
		if (len >= sizeof(key))
			return NULL;
		memcpy(key, s, len);
		key[len] = '\0';
		doc = cJSON_IsObject(doc) ? cJSON_GetObjectItemCaseSensitive(doc, key) : NULL;
		s += len;
		if (*s == '.')
			s++;
	}
	return doc;
}

int mlreg_seed_present(const cJSON *v)
{
	if (!v || cJSON_IsNull(v))
		return 0;
	if (cJSON_IsString(v))
		return v->valuestring[0] != '\0';
	return 1;
}

char *mlreg_seed_path(const char *parent, const char *key)
{
	return parent && *parent ? xasprintf("%s.%s", parent, key) : xstrdup(key);
}

/* Returns 1 when the n bytes at s name an HTML tag, which is no placeholder. */
static int html_tag(const char *s, size_t n)
{
	static const char *const tags[] = {
		"a", "abbr", "b", "br", "code", "div", "em", "h1", "h2", "h3", "h4", "h5",
		"h6", "hr", "i", "img", "kbd", "li", "ol", "p", "pre", "s", "small", "span",
		"strong", "sub", "sup", "table", "td", "th", "tr", "tt", "u", "ul", NULL
	};
	size_t i;

	for (i = 0; tags[i]; i++)
		if (strlen(tags[i]) == n && !strncasecmp(tags[i], s, n))
			return 1;
	return 0;
}

int mlreg_seed_placeholder(const char *s, char *buf, size_t n)
{
	const char *p;

	for (p = s; *p; p++) {
		char close = *p == '<' ? '>' : *p == '$' ? '$' : 0;
		size_t len = 0;

		if (!close || !(isalpha((unsigned char)p[1]) || p[1] == '_'))
			continue;
		while (isalnum((unsigned char)p[1 + len]) || p[1 + len] == '_' ||
		       (close == '>' && (p[1 + len] == '-' || p[1 + len] == '.')))
			len++;
		if (p[1 + len] != close || (close == '>' && html_tag(p + 1, len)) ||
		    (len == 8 && !strncmp(p + 1, "redacted", 8)))
			continue;	/* "<redacted>" is what mlreg put for a secret */
		snprintf(buf, n, "%.*s", (int)len + 2, p);
		return 1;
	}
	return 0;
}

int mlreg_seed_placeholders(struct mlreg_seed_notes *n, const cJSON *doc, const char *prefix)
{
	const cJSON *c;
	char ph[128];
	int count = 0, i = 0;

	if (cJSON_IsString(doc) && mlreg_seed_placeholder(doc->valuestring, ph, sizeof(ph))) {
		if (!strcmp(ph, doc->valuestring))
			mlreg_seed_note(n, MLREG_SEED_FAIL, doc, prefix, "%s is a template "
					"placeholder: fill it in", ph);
		else
			mlreg_seed_note(n, MLREG_SEED_FAIL, doc, prefix, "'%s' still holds the "
					"template placeholder %s: fill it in", doc->valuestring, ph);
		return 1;
	}
	cJSON_ArrayForEach(c, doc) {
		char *path, idx[24];
		if (cJSON_IsObject(doc)) {
			path = mlreg_seed_path(prefix, c->string);
		} else {
			snprintf(idx, sizeof(idx), "[%d]", i);
			path = xasprintf("%s%s", prefix ? prefix : "", idx);
		}
		count += mlreg_seed_placeholders(n, c, path);
		free(path);
		i++;
	}
	return count;
}
