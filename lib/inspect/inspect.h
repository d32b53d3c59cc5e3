/*
 * Reading model files to learn what they are and what they take and return,
 * without running them: every parser here reads bytes through a bounded
 * source, checks every length against the file's size before it uses it,
 * and never allocates in proportion to a number the file claims.  Pickles
 * are recognised, never unpickled.
 *
 * The result of inspecting one file is a cJSON object:
 *   {
 *     "format":    "onnx",            short id of the file format (table below)
 *     "framework": "onnx",            the framework that wrote it, or null
 *     "details":   { ... },           format-specific facts (opset, producer,
 *                                     tensor count, parameter count, ...)
 *     "signatures": [                 inferred contract; absent or [] when
 *       { "name": "serving_default",  the format does not carry one
 *         "inputs":  [ FIELD, ... ],
 *         "outputs": [ FIELD, ... ] } ],
 *     "warnings":  [ "..." ]          optional (e.g. loading a pickle runs code)
 *   }
 *   FIELD = { "name": "x", "type": "float", "shape": [-1, 3] }
 * "type" uses Hydrosphere's dtype vocabulary (half float double bfloat16
 * complex64 complex128 uint8 uint16 uint32 uint64 int8 int16 int32 int64
 * bool string qint8 quint8 qint16 quint16 resource variant); a type outside
 * it is written as the format's own name.  "shape" lists dimensions, -1
 * for an unknown or symbolic one; a scalar has shape [].
 *
 * Formats: onnx, savedmodel, safetensors, gguf, keras, hdf5, pytorch-zip,
 * pytorch-legacy, npy, npz, pickle, joblib.
 */
#ifndef MLREG_INSPECT_H
#define MLREG_INSPECT_H

#include <stddef.h>
#include <stdint.h>

#include <cjson/cJSON.h>

/* A bounded byte source: a file descriptor or a memory buffer (fuzzing). */
struct mlreg_src {
	int fd;				/* read with pread() when buf is NULL */
	const unsigned char *buf;	/* or the bytes themselves */
	uint64_t size;			/* total bytes */
	const char *name;		/* file name for messages and extension hints */
};

/*
 * Returns 0 after reading exactly len bytes at off into dst; MLREG_EINVALID
 * ("'<name>' is truncated") when off + len passes the end, MLREG_EOS on a
 * read error.
 */
int mlreg_src_read(const struct mlreg_src *src, uint64_t off, void *dst, size_t len);

/*
 * Returns the format id of src from its content (magic numbers and
 * structure first, the name's extension only to tell apart formats that
 * share a container), or NULL when it is not a model format we know.
 */
const char *mlreg_inspect_detect(const struct mlreg_src *src);

/*
 * Returns 0 and the inspection object in *out for a known format; *out is
 * NULL and 0 returned for an unknown one; MLREG_EINVALID, with a message
 * naming the file and the problem, for a malformed, truncated or hostile
 * file of a known format.
 */
int mlreg_inspect(cJSON **out, const struct mlreg_src *src);

/*
 * Opens path and inspects it as mlreg_inspect() does; name (may be NULL for
 * path) is the file's name as the user knows it, for detection and messages
 * (a version's file is read from its object, named by its hash).
 */
int mlreg_inspect_path(cJSON **out, const char *path, const char *name);

/*
 * One parser per format family; same contract as mlreg_inspect() for the
 * files mlreg_inspect_detect() sent to it.
 */
/* lib/inspect/onnx.c: ONNX ModelProto (protobuf) */
int mlreg_inspect_onnx(cJSON **out, const struct mlreg_src *src);
/* Returns 1 when src's top level parses as an ONNX ModelProto, else 0. */
int mlreg_inspect_onnx_sniff(const struct mlreg_src *src);
/* lib/inspect/savedmodel.c: TensorFlow SavedModel saved_model.pb (protobuf) */
int mlreg_inspect_savedmodel(cJSON **out, const struct mlreg_src *src);
/* lib/inspect/safetensors.c */
int mlreg_inspect_safetensors(cJSON **out, const struct mlreg_src *src);
/* lib/inspect/gguf.c */
int mlreg_inspect_gguf(cJSON **out, const struct mlreg_src *src);
/* lib/inspect/zip-formats.c: a zip archive: Keras 3 .keras, PyTorch zip, NumPy .npz; *out NULL for other zips */
int mlreg_inspect_zip(cJSON **out, const struct mlreg_src *src);
/* lib/inspect/hdf5.c: HDF5 (Keras .h5 and others), detected from the superblock */
int mlreg_inspect_hdf5(cJSON **out, const struct mlreg_src *src);
/* lib/inspect/npy.c: NumPy .npy */
int mlreg_inspect_npy(cJSON **out, const struct mlreg_src *src);
/* lib/inspect/pickle.c: pickle, joblib and PyTorch's legacy (pickle) format; never unpickled */
int mlreg_inspect_pickle(cJSON **out, const struct mlreg_src *src);
/* Returns 1 when op is a pickle opcode (of any protocol), else 0. */
int mlreg_inspect_pickle_opcode(unsigned char op);

/* Helpers for parsers: a FIELD object, and a new result skeleton. */
cJSON *mlreg_inspect_field(const char *name, const char *type, const int64_t *dims, size_t ndims);
cJSON *mlreg_inspect_result(const char *format, const char *framework);

#endif
