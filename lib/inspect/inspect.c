/*
 * The dispatcher of model-file inspection (see inspect.h): it reads the
 * first bytes of a file once and walks the table of inspectors below, in
 * priority order, handing the file to the first whose sniffer takes it.
 * Each format's detection lives in its own file (inspect-int.h); only the
 * order is decided here.  The order matters where two sniffers could take
 * the same bytes: magic numbers first, then HDF5's signature (which may
 * sit after a user block), safetensors' length-prefixed JSON, pickles
 * (helped by the name), the SavedModel file by its name, and last ONNX,
 * whose protobuf sniffer is the loosest.
 */
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "error.h"
#include "fs.h"
#include "inspect-int.h"
#include "util.h"

static const struct mlreg_inspector *const inspectors[] = {
	&mlreg_inspector_gguf,
	&mlreg_inspector_npy,
	&mlreg_inspector_zip,		/* Keras 3, PyTorch zip, npz */
	&mlreg_inspector_hdf5,
	&mlreg_inspector_safetensors,
	&mlreg_inspector_pickle,	/* pickle, joblib, PyTorch legacy */
	&mlreg_inspector_savedmodel,
	&mlreg_inspector_onnx,
};

/* Returns the inspector for src from its content, or NULL if none takes it. */
static const struct mlreg_inspector *detect(const struct mlreg_src *src)
{
	unsigned char head[MLREG_SNIFF_HEAD] = { 0 };
	size_t n = src->size < sizeof(head) ? (size_t)src->size : sizeof(head);
	size_t i;

	if (n < 4 || mlreg_src_read(src, 0, head, n) < 0)
		return NULL;
	for (i = 0; i < sizeof(inspectors) / sizeof(inspectors[0]); i++)
		if (inspectors[i]->sniff(src, head, n))
			return inspectors[i];
	return NULL;
}

int mlreg_inspect(cJSON **out, const struct mlreg_src *src)
{
	const struct mlreg_inspector *in = detect(src);

	*out = NULL;
	return in ? in->inspect(out, src) : 0;
}

/*
 * A file up to this size is read whole, in one read, before it is
 * inspected: the sniffers and inspectors then read memory, where they would
 * make a handful of small reads each (a register of 20,000 small files made
 * 120,000).
 */
#define SLURP_MAX (64u << 10)

int mlreg_inspect_path(cJSON **out, const char *path, const char *name)
{
	struct mlreg_src src = { -1, NULL, 0, name ? name : path };
	unsigned char *whole = NULL;
	struct stat st;
	int err;

	*out = NULL;
	if ((src.fd = mlreg_fs_open_regular(path, &st)) < 0)
		return src.fd;
	src.size = (uint64_t)st.st_size;
	if (src.size > 0 && src.size <= SLURP_MAX) {
		whole = xmalloc((size_t)src.size);
		if (mlreg_src_read(&src, 0, whole, (size_t)src.size) == 0)
			src.buf = whole;
		else
			mlreg_error_clear();	/* read as it goes: the inspector says what fails */
	}
	err = mlreg_inspect(out, &src);
	close(src.fd);
	free(whole);
	return err;
}
