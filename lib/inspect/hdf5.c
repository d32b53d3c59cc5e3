/*
 * HDF5 files (Keras 2 .h5 models, Keras 3 weights, and many others),
 * recognised by the superblock's 8-byte signature "\x89HDF\r\n\x1a\n" at
 * offset 0, 512, 1024, 2048 or 4096 (a user block may come first).  The
 * byte after it is the superblock version; versions 0 and 1 then hold the
 * versions of four other structures and the sizes of offsets and lengths
 * at bytes 13 and 14, versions 2 and 3 hold those sizes at bytes 9 and 10.
 * That is all that is read: HDF5's object headers, B-trees and heaps are
 * not walked, so a Keras .h5 model's layers and shapes are not reported.
 * A Keras 2 model keeps its "keras_version" and "model_config" attributes
 * in the root group, whose header small files have within their first
 * 64 KiB: finding both names there marks the file as Keras's (a hint, no
 * more).
 */
#include <stdlib.h>
#include <string.h>

#include "error.h"
#include "inspect-int.h"
#include "util.h"

#define HINT_BYTES 65536	/* bytes searched for Keras's attribute names */

/* Returns 1 when the len bytes of hay hold needle. */
static int holds(const unsigned char *hay, size_t len, const char *needle)
{
	return memmem(hay, len, needle, strlen(needle)) != NULL;
}

int mlreg_inspect_hdf5(cJSON **out, const struct mlreg_src *src)
{
	static const uint64_t offsets[] = { 0, 512, 1024, 2048, 4096 };
	unsigned char sb[16], *head;
	uint64_t at = UINT64_MAX;
	size_t i, n;
	unsigned version, off_size, len_size;
	int keras, err;
	cJSON *r, *d;

	*out = NULL;
	for (i = 0; i < sizeof(offsets) / sizeof(offsets[0]); i++) {
		if (offsets[i] + 8 > src->size)
			break;
		if ((err = mlreg_src_read(src, offsets[i], sb, 8)) < 0)
			return err;
		if (!memcmp(sb, "\x89HDF\r\n\x1a\n", 8)) {
			at = offsets[i];
			break;
		}
	}
	if (at == UINT64_MAX)
		return mlreg_error_set(MLREG_EINVALID,
				       "'%s' is not an HDF5 file: no "
				       "superblock signature",
				       src->name);
	if ((err = mlreg_src_read(src, at, sb, sizeof(sb))) < 0)
		return err;
	version = sb[8];
	if (version > 3)
		return mlreg_error_set(MLREG_EINVALID,
				       "'%s' has an HDF5 superblock of "
				       "unknown version %u",
				       src->name, version);
	off_size = version <= 1 ? sb[13] : sb[9];
	len_size = version <= 1 ? sb[14] : sb[10];
	if ((off_size != 2 && off_size != 4 && off_size != 8 &&
	     off_size != 16 && off_size != 32) ||
	    (len_size != 2 && len_size != 4 && len_size != 8 &&
	     len_size != 16 && len_size != 32))
		return mlreg_error_set(
			MLREG_EINVALID,
			"'%s' has a malformed HDF5 "
			"superblock: sizes of offsets and lengths %u and %u",
			src->name, off_size, len_size);
	n = src->size < HINT_BYTES ? (size_t)src->size : HINT_BYTES;
	head = xmalloc(n ? n : 1);
	if ((err = mlreg_src_read(src, 0, head, n)) < 0) {
		free(head);
		return err;
	}
	keras = holds(head, n, "keras_version") &&
		holds(head, n, "model_config");
	free(head);
	r = mlreg_inspect_result("hdf5", keras ? "keras" : NULL);
	d = cJSON_GetObjectItemCaseSensitive(r, "details");
	cJSON_AddNumberToObject(d, "superblock_version", version);
	cJSON_AddNumberToObject(d, "superblock_offset", (double)at);
	cJSON_AddNumberToObject(d, "offset_size", off_size);
	cJSON_AddNumberToObject(d, "length_size", len_size);
	if (keras)
		cJSON_AddTrueToObject(d, "keras_attributes");
	cJSON_AddStringToObject(
		d, "note",
		"only the superblock is read: HDF5 groups, "
		"datasets and attributes (a Keras .h5 model's layers and "
		"shapes) are not parsed");
	*out = r;
	return 0;
}

/*
 * Returns 1 when the superblock signature is at offset 0, 512, 1024, 2048
 * or 4096 (after a user block), else 0.
 */
static int sniff_hdf5(const struct mlreg_src *src,
		      const unsigned char *head, size_t n)
{
	static const uint64_t offsets[] = { 0, 512, 1024, 2048, 4096 };
	size_t i;

	for (i = 0; i < sizeof(offsets) / sizeof(offsets[0]); i++) {
		unsigned char sig[8];
		if (offsets[i] + 8 <= src->size &&
		    mlreg_src_read(src, offsets[i], sig, 8) == 0 &&
		    !memcmp(sig, "\x89HDF\r\n\x1a\n", 8))
			return 1;
	}
	return 0;
}

const struct mlreg_inspector mlreg_inspector_hdf5 = {
	"hdf5", sniff_hdf5, mlreg_inspect_hdf5
};
