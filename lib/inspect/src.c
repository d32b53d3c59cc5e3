/*
 * The helpers every inspector shares (declared in inspect-int.h): bounded
 * reads from a struct mlreg_src, the name tests detection uses, and the
 * builders of the result object and its FIELDs that inspect.h describes.
 * They sit below both the dispatcher and the formats, so that no format
 * includes its dispatcher.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "error.h"
#include "inspect-int.h"

int mlreg_src_read(const struct mlreg_src *src, uint64_t off, void *dst, size_t len)
{
	unsigned char *p = dst;

	if (off > src->size || len > src->size - off)
		return mlreg_error_set(MLREG_EINVALID, "'%s' is truncated (needs %llu bytes "
				       "at offset %llu, has %llu)", src->name,
				       (unsigned long long)len, (unsigned long long)off,
				       (unsigned long long)src->size);
	if (src->buf) {
		memcpy(dst, src->buf + off, len);
		return 0;
	}
	while (len > 0) {
		ssize_t n = pread(src->fd, p, len, (off_t)off);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return mlreg_error_os("cannot read '%s'", src->name);
		if (n == 0)
			return mlreg_error_set(MLREG_EINVALID, "'%s' is truncated", src->name);
		p += n;
		off += (uint64_t)n;
		len -= (size_t)n;
	}
	return 0;
}

const char *mlreg_src_base(const struct mlreg_src *src)
{
	const char *s = src->name ? strrchr(src->name, '/') : NULL;

	return s ? s + 1 : src->name ? src->name : "";
}

int mlreg_src_has_ext(const char *name, const char *ext)
{
	size_t n = name ? strlen(name) : 0, e = strlen(ext);

	return n > e && !strcmp(name + n - e, ext);
}

cJSON *mlreg_inspect_field(const char *name, const char *type, const int64_t *dims, size_t ndims)
{
	cJSON *f = cJSON_CreateObject(), *shape;
	size_t i;

	cJSON_AddStringToObject(f, "name", name ? name : "");
	cJSON_AddStringToObject(f, "type", type ? type : "variant");
	shape = cJSON_AddArrayToObject(f, "shape");
	for (i = 0; i < ndims; i++)
		cJSON_AddItemToArray(shape, cJSON_CreateNumber(dims[i] < 0 ? -1.0 : (double)dims[i]));
	return f;
}

cJSON *mlreg_inspect_result(const char *format, const char *framework)
{
	cJSON *r = cJSON_CreateObject();

	cJSON_AddStringToObject(r, "format", format);
	if (framework)
		cJSON_AddStringToObject(r, "framework", framework);
	else
		cJSON_AddNullToObject(r, "framework");
	cJSON_AddObjectToObject(r, "details");
	return r;
}
