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
 *
 * A format is found by content (magic numbers and structure first, the
 * name's extension only to tell apart formats that share a container), by
 * the table of inspectors in inspect.c; the parsers and what they share
 * are in the private header inspect-int.h.
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

#endif
