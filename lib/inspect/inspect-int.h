/*
 * The inside of model-file inspection: what the inspectors of lib/inspect/
 * share and what the dispatcher (lib/inspect/inspect.c) needs of them, as
 * curl's vtls_int.h is for its TLS backends.  Callers use inspect.h; only
 * the files of lib/inspect/ and the fuzz targets (t/fuzz/, which call one
 * parser directly) include this.
 *
 * Each format file defines its sniffer and one struct mlreg_inspector; the
 * dispatcher walks its table of them in priority order and hands the file
 * to the first whose sniffer takes it.  The helpers below (src.c) sit under
 * both, so no format includes its dispatcher.
 *
 * What every parser promises (inspect.h tells callers): it reads only
 * through mlreg_src_read(), checks every length and offset the file claims
 * against the file's size before it uses it, never allocates in proportion
 * to a number the file claims, and never runs what it reads (pickles are
 * walked, not unpickled).  A sniffer reads at most a bounded prefix and
 * never fails: trouble means "not mine".
 *
 * Adding a format:
 *   1. lib/inspect/<format>.c: its parser, its sniffer (static) and its
 *      const struct mlreg_inspector mlreg_inspector_<format>;
 *   2. an extern line and the parser's prototype below;
 *   3. its place in inspectors[] in inspect.c (before any format whose
 *      sniffer would also take its files), and in inspect.h's list;
 *   4. a fuzz target t/fuzz/fuzz-<format>.c, its corpus, and its line in
 *      t/fuzz/replay.c's parsers[];
 *   5. tests t/t4NNN-inspect-*.t and the man page of mlreg-inspect.
 */
#ifndef MLREG_INSPECT_INT_H
#define MLREG_INSPECT_INT_H

#include <stddef.h>
#include <stdint.h>

#include <cjson/cJSON.h>

#include "inspect.h"

#define MLREG_SNIFF_HEAD 16	/* bytes of a file's start given to sniffers */

/* A format, or a family sharing a container, that the dispatcher knows. */
struct mlreg_inspector {
	const char *format;	/* its id ("zip" for the zip-based family) */
	/*
	 * Returns 1 when src is of this format, else 0.  head holds src's
	 * first n bytes (4 <= n <= MLREG_SNIFF_HEAD), zero-padded to
	 * MLREG_SNIFF_HEAD; content decides first, the name's extension
	 * only tells apart formats that share a container.
	 */
	int (*sniff)(const struct mlreg_src *src, const unsigned char *head,
		     size_t n);
	/* Same contract as mlreg_inspect(), for a file sniff took. */
	int (*inspect)(cJSON **out, const struct mlreg_src *src);
};

/* The inspectors, one per format file; inspect.c orders them. */
extern const struct mlreg_inspector mlreg_inspector_gguf;
extern const struct mlreg_inspector mlreg_inspector_npy;
extern const struct mlreg_inspector mlreg_inspector_zip;
extern const struct mlreg_inspector mlreg_inspector_hdf5;
extern const struct mlreg_inspector mlreg_inspector_safetensors;
extern const struct mlreg_inspector mlreg_inspector_pickle;
extern const struct mlreg_inspector mlreg_inspector_savedmodel;
extern const struct mlreg_inspector mlreg_inspector_onnx;

/*
 * One parser per format family (the inspect member of its inspector); same
 * contract as mlreg_inspect() for the files its sniffer takes.
 */
/* lib/inspect/onnx.c: ONNX ModelProto (protobuf) */
int mlreg_inspect_onnx(cJSON **out, const struct mlreg_src *src);
/* lib/inspect/savedmodel.c: TensorFlow SavedModel saved_model.pb (protobuf) */
int mlreg_inspect_savedmodel(cJSON **out, const struct mlreg_src *src);
/* lib/inspect/safetensors.c */
int mlreg_inspect_safetensors(cJSON **out, const struct mlreg_src *src);
/* lib/inspect/gguf.c */
int mlreg_inspect_gguf(cJSON **out, const struct mlreg_src *src);
/*
 * lib/inspect/zip-formats.c: a zip archive: Keras 3 .keras, PyTorch zip,
 * NumPy .npz; *out NULL for other zips
 */
int mlreg_inspect_zip(cJSON **out, const struct mlreg_src *src);
/* lib/inspect/hdf5.c: HDF5 (Keras .h5 and others), from the superblock */
int mlreg_inspect_hdf5(cJSON **out, const struct mlreg_src *src);
/* lib/inspect/npy.c: NumPy .npy */
int mlreg_inspect_npy(cJSON **out, const struct mlreg_src *src);
/*
 * lib/inspect/pickle.c: pickle, joblib and PyTorch's legacy (pickle)
 * format; never unpickled
 */
int mlreg_inspect_pickle(cJSON **out, const struct mlreg_src *src);

/*
 * lib/inspect/src.c: the helpers parsers share.
 */

/*
 * Returns 0 after reading exactly len bytes at off into dst; MLREG_EINVALID
 * ("'<name>' is truncated") when off + len passes the end, MLREG_EOS on a
 * read error.
 */
int mlreg_src_read(const struct mlreg_src *src, uint64_t off, void *dst,
		   size_t len);

/* Returns the last component of src's name, "" when it has none. */
const char *mlreg_src_base(const struct mlreg_src *src);

/* Returns 1 when name (may be NULL) is longer than ext and ends with it. */
int mlreg_src_has_ext(const char *name, const char *ext);

/* Returns a new FIELD object (inspect.h) for name, type and dims. */
cJSON *mlreg_inspect_field(const char *name, const char *type,
			   const int64_t *dims, size_t ndims);

/* Returns a new result skeleton (inspect.h): format, framework, details. */
cJSON *mlreg_inspect_result(const char *format, const char *framework);

/*
 * Readers one format lends another: the npy header parser reads an npz's
 * members, the pickle scanner a PyTorch archive's data.pkl
 * (lib/inspect/zip-formats.c).
 */

/*
 * lib/inspect/npy.c: returns 0 and in *details a new object describing the
 * .npy whose first len bytes are buf (they must hold its whole header) and
 * whose total size is size: descr, type, fortran_order, shape, itemsize,
 * data_bytes; *object_array is set to 1 for an array of Python objects.
 * MLREG_EINVALID with a message naming name when the header is malformed
 * or the data does not fit in size.
 */
int mlreg_npy_describe(cJSON **details, int *object_array,
		       const unsigned char *buf, size_t len, uint64_t size,
		       const char *name);

/* What mlreg_pickle_scan() found. */
struct mlreg_pickle_scan {
	int protocol;		/* from the first PROTO opcode; 0 without */
	int torch_legacy;	/* the first object is torch's magic number */
	int joblib;		/* a joblib global was seen */
	int complete;		/* the whole stream was walked */
	int pickles;		/* pickles walked (torch legacy: 5) */
	cJSON *globals;		/* array of up to 50 distinct "module.name" */
	int globals_truncated;	/* more distinct globals seen than listed */
	int unresolved;		/* STACK_GLOBALs of unknown names */
	cJSON *dangerous;	/* array: those that can run commands or code */
	const char *framework;	/* guessed from the globals, or NULL */
	char stop[160];		/* why the walk stopped early, or "" */
};

/*
 * lib/inspect/pickle-scan.c: returns 0 after walking the pickle opcodes of
 * src (never executing them) into *scan, whose arrays the caller frees
 * with mlreg_pickle_scan_free(); MLREG_EINVALID naming src when its first
 * pickle is malformed.  partial says src holds only the stream's
 * beginning, so that running out of bytes ends the walk instead of
 * failing it.
 */
int mlreg_pickle_scan(struct mlreg_pickle_scan *scan,
		      const struct mlreg_src *src, int partial);

/* Frees the arrays of a scan. */
void mlreg_pickle_scan_free(struct mlreg_pickle_scan *scan);

/* Returns 1 when op is a pickle opcode (of any protocol), else 0. */
int mlreg_pickle_opcode(unsigned char op);

#endif
