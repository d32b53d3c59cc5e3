/*
 * The dispatcher of model-file inspection (see inspect.h): bounded reads,
 * format detection by content, and the helpers parsers share.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "error.h"
#include "fs.h"
#include "inspect.h"
#include "util.h"

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

static const char *base_name(const char *name)
{
	const char *s = name ? strrchr(name, '/') : NULL;

	return s ? s + 1 : name ? name : "";
}

static int has_ext(const char *name, const char *ext)
{
	size_t n = strlen(name), e = strlen(ext);

	return n > e && !strcmp(name + n - e, ext);
}

const char *mlreg_inspect_detect(const struct mlreg_src *src)
{
	unsigned char m[16] = { 0 };
	const char *base = base_name(src->name);
	size_t n = src->size < sizeof(m) ? (size_t)src->size : sizeof(m);
	static const uint64_t hdf5_offsets[] = { 0, 512, 1024, 2048, 4096 };
	size_t i;
	int named;

	if (n < 4 || mlreg_src_read(src, 0, m, n) < 0)
		return NULL;
	if (!memcmp(m, "GGUF", 4))
		return "gguf";
	if (n >= 6 && !memcmp(m, "\x93NUMPY", 6))
		return "npy";
	if (!memcmp(m, "PK\x03\x04", 4) || !memcmp(m, "PK\x05\x06", 4))
		return "zip";
	for (i = 0; i < sizeof(hdf5_offsets) / sizeof(hdf5_offsets[0]); i++) {
		unsigned char sig[8];
		if (hdf5_offsets[i] + 8 <= src->size &&
		    mlreg_src_read(src, hdf5_offsets[i], sig, 8) == 0 &&
		    !memcmp(sig, "\x89HDF\r\n\x1a\n", 8))
			return "hdf5";
	}
	if (n >= 9) {
		/* safetensors: u64 little-endian header length, then a JSON object */
		uint64_t hl = 0;
		for (i = 0; i < 8; i++)
			hl |= (uint64_t)m[i] << (8 * i);
		if (m[8] == '{' && hl >= 2 && hl <= src->size - 8)
			return "safetensors";
	}
	named = has_ext(base, ".pkl") || has_ext(base, ".pickle") || has_ext(base, ".joblib") ||
		has_ext(base, ".pt") || has_ext(base, ".pth");
	/*
	 * PROTO 2-5; without a pickle's name, the next byte must be an opcode
	 * too, or one random file in 16,000 would be called a broken pickle.
	 */
	if (m[0] == 0x80 && m[1] >= 2 && m[1] <= 5 && (named || mlreg_inspect_pickle_opcode(m[2])))
		return "pickle";
	if (named)
		if (m[0] == '(' || m[0] == ']' || m[0] == '}' || m[0] == 'c' || m[0] == 0x78 ||
		    !memcmp(m, "ZF", 2))
			return "pickle";	/* protocol 0/1 pickles, zlib-compressed joblib */
	if (!strcmp(base, "saved_model.pb"))
		return "savedmodel";
	if (mlreg_inspect_onnx_sniff(src))
		return "onnx";
	return NULL;
}

int mlreg_inspect(cJSON **out, const struct mlreg_src *src)
{
	const char *fmt = mlreg_inspect_detect(src);

	*out = NULL;
	if (!fmt)
		return 0;
	if (!strcmp(fmt, "gguf"))
		return mlreg_inspect_gguf(out, src);
	if (!strcmp(fmt, "npy"))
		return mlreg_inspect_npy(out, src);
	if (!strcmp(fmt, "zip"))
		return mlreg_inspect_zip(out, src);
	if (!strcmp(fmt, "hdf5"))
		return mlreg_inspect_hdf5(out, src);
	if (!strcmp(fmt, "safetensors"))
		return mlreg_inspect_safetensors(out, src);
	if (!strcmp(fmt, "pickle"))
		return mlreg_inspect_pickle(out, src);
	if (!strcmp(fmt, "savedmodel"))
		return mlreg_inspect_savedmodel(out, src);
	if (!strcmp(fmt, "onnx"))
		return mlreg_inspect_onnx(out, src);
	return 0;
}

int mlreg_inspect_path(cJSON **out, const char *path, const char *name)
{
	struct mlreg_src src = { -1, NULL, 0, name ? name : path };
	struct stat st;
	int err;

	*out = NULL;
	if ((src.fd = mlreg_fs_open_regular(path, &st)) < 0)
		return src.fd;
	src.size = (uint64_t)st.st_size;
	err = mlreg_inspect(out, &src);
	close(src.fd);
	return err;
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
