/*
 * Pickles, joblib files and PyTorch's legacy format, recognised without
 * ever being unpickled: the sniffer, and the inspector that walks the
 * file's opcodes with the scanner of pickle-scan.c (whose header comment
 * says how, and why never more) and reports what it found.  zlib-compressed
 * joblib files are inflated (a bounded prefix, PK_MAX_INFLATE bytes) and
 * walked in memory.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "error.h"
#include "inspect-int.h"
#include "util.h"

#define PK_MAX_INFLATE (16u << 20)	/* bytes inflated from zlib data */
#define BUF_SIZE 65536			/* bytes of zlib input read at once */

/*
 * Returns 0 and the first bytes (at most PK_MAX_INFLATE) of the zlib
 * stream starting at off in src, in *out and *len, with *whole set when
 * the stream ended within them; MLREG_EINVALID when it is not zlib data
 * or ends early.  The buffer grows as output comes.
 */
static int inflate_prefix(unsigned char **out, size_t *len, int *whole,
			  const struct mlreg_src *src, uint64_t off)
{
	unsigned char *in = xmalloc(BUF_SIZE), *buf;
	size_t cap = BUF_SIZE, done = 0;
	z_stream z;
	int ret = Z_OK, err = 0;

	memset(&z, 0, sizeof(z));
	*whole = 0;
	if (inflateInit(&z) != Z_OK) {
		free(in);
		return mlreg_error_set(MLREG_EINVALID,
				       "'%s': zlib failed to start", src->name);
	}
	buf = xmalloc(cap);
	while (ret != Z_STREAM_END) {
		if (done == cap) {
			if (cap >= PK_MAX_INFLATE)
				break;	/* enough: the rest is not walked */
			MLREG_ALLOC_GROW(buf, 2 * cap, cap);	/* doubled */
		}
		if (z.avail_in == 0) {
			size_t n = src->size - off < BUF_SIZE
					   ? (size_t)(src->size - off)
					   : BUF_SIZE;
			if (n == 0)
				break;
			if ((err = mlreg_src_read(src, off, in, n)) < 0)
				break;
			off += n;
			z.next_in = in;
			z.avail_in = (uInt)n;
		}
		z.next_out = buf + done;
		z.avail_out = (uInt)(cap - done);
		ret = inflate(&z, Z_NO_FLUSH);
		done = cap - z.avail_out;
		if (ret != Z_OK && ret != Z_STREAM_END && ret != Z_BUF_ERROR) {
			err = mlreg_error_set(MLREG_EINVALID,
					      "'%s' is not valid zlib data "
					      "(%s)",
					      src->name,
					      z.msg ? z.msg : "zlib error");
			break;
		}
		if (ret == Z_BUF_ERROR && z.avail_in > 0 && z.avail_out > 0) {
			err = mlreg_error_set(MLREG_EINVALID,
					      "'%s' is not valid zlib data",
					      src->name);
			break;
		}
	}
	*whole = ret == Z_STREAM_END;
	*len = done;
	if (!err && !*whole && done < PK_MAX_INFLATE)
		err = mlreg_error_set(MLREG_EINVALID,
				      "'%s' is truncated: its zlib stream "
				      "ends early",
				      src->name);
	inflateEnd(&z);
	free(in);
	if (err < 0) {
		free(buf);
		return err;
	}
	*out = buf;
	return 0;
}

int mlreg_inspect_pickle(cJSON **out, const struct mlreg_src *src)
{
	struct mlreg_pickle_scan scan;
	struct mlreg_src mem = *src;
	unsigned char head[2] = { 0, 0 }, *inflated = NULL;
	const char *base = mlreg_src_base(src), *format, *framework;
	const char *compressed = NULL;
	cJSON *r, *details, *warnings, *e;
	size_t len = 0;
	int whole = 1, err;

	*out = NULL;
	if ((err = mlreg_src_read(src, 0, head,
				  src->size < 2 ? (size_t)src->size : 2)) < 0)
		return err;
	if (head[0] == 0x78 || (head[0] == 'Z' && head[1] == 'F')) {
		/* joblib's zlib; old files: "ZF" and a 19-byte length first */
		uint64_t off = head[0] == 'Z' ? 21 : 0;
		if (off > src->size)
			return mlreg_error_set(MLREG_EINVALID,
					       "'%s' is truncated", src->name);
		err = inflate_prefix(&inflated, &len, &whole, src, off);
		if (err < 0)
			return err;
		mem.fd = -1;
		mem.buf = inflated;
		mem.size = len;
		compressed = "zlib";
	}
	err = mlreg_pickle_scan(&scan, &mem, !whole);
	free(inflated);
	if (err < 0)
		return err;
	if (scan.torch_legacy) {
		format = "pytorch-legacy";
		framework = "pytorch";
	} else {
		format = scan.joblib || compressed ||
				 mlreg_src_has_ext(base, ".joblib")
				 ? "joblib"
				 : "pickle";
		framework = scan.framework;
	}
	r = mlreg_inspect_result(format, framework);
	details = cJSON_GetObjectItemCaseSensitive(r, "details");
	cJSON_AddNumberToObject(details, "protocol", scan.protocol);
	cJSON_AddNumberToObject(details, "pickles", scan.pickles);
	if (compressed)
		cJSON_AddStringToObject(details, "compression", compressed);
	cJSON_AddItemToObject(details, "globals", scan.globals);
	cJSON_AddBoolToObject(details, "globals_truncated",
			      scan.globals_truncated);
	if (scan.unresolved)
		cJSON_AddNumberToObject(details, "unresolved_globals",
					scan.unresolved);
	cJSON_AddItemToObject(details, "dangerous_globals", scan.dangerous);
	cJSON_AddBoolToObject(details, "scan_complete", scan.complete);
	if (!scan.complete)
		cJSON_AddStringToObject(details, "scan_stopped", scan.stop);
	warnings = cJSON_AddArrayToObject(r, "warnings");
	cJSON_AddItemToArray(
		warnings,
		cJSON_CreateString("loading a pickle runs arbitrary code: "
				   "mlreg only read its opcodes, "
				   "never loaded it"));
	if (cJSON_GetArraySize(scan.dangerous) > 0) {
		char msg[512];
		size_t n = (size_t)snprintf(msg, sizeof(msg), "it references");
		cJSON_ArrayForEach(e, scan.dangerous) if (n < sizeof(msg))
			n += (size_t)snprintf(msg + n, sizeof(msg) - n, "%s %s",
					      e == scan.dangerous->child ? ""
									 : ",",
					      e->valuestring);
		if (n < sizeof(msg))
			snprintf(msg + n, sizeof(msg) - n,
				 ": loading it would run commands "
				 "or code of the file's choosing");
		cJSON_AddItemToArray(warnings, cJSON_CreateString(msg));
	}
	if (scan.unresolved) {
		char msg[160];
		snprintf(msg, sizeof(msg),
			 "%d global(s) are named in ways the scan cannot "
			 "follow: they may be anything",
			 scan.unresolved);
		cJSON_AddItemToArray(warnings, cJSON_CreateString(msg));
	}
	if (!scan.complete) {
		char msg[256];
		snprintf(msg, sizeof(msg),
			 "the opcode scan stopped early (%s): what follows "
			 "was not examined",
			 scan.stop);
		cJSON_AddItemToArray(warnings, cJSON_CreateString(msg));
	}
	*out = r;
	return 0;
}

/*
 * Returns 1 when src looks like a pickle, else 0: a PROTO opcode (protocol
 * 2 to 5) followed, unless the name is a pickle's (.pkl .pickle .joblib
 * .pt .pth), by another opcode; or, under such a name, the first byte of a
 * protocol 0/1 pickle or of joblib's zlib compression.
 */
static int sniff_pickle(const struct mlreg_src *src,
			const unsigned char *head, size_t n)
{
	const char *base = mlreg_src_base(src);
	int named = mlreg_src_has_ext(base, ".pkl") ||
		    mlreg_src_has_ext(base, ".pickle") ||
		    mlreg_src_has_ext(base, ".joblib") ||
		    mlreg_src_has_ext(base, ".pt") ||
		    mlreg_src_has_ext(base, ".pth");

	/*
	 * PROTO 2-5; without a pickle's name, the next byte must be an opcode
	 * too, or one random file in 16,000 would be called a broken pickle.
	 */
	if (head[0] == 0x80 && head[1] >= 2 && head[1] <= 5 &&
	    (named || mlreg_pickle_opcode(head[2])))
		return 1;
	if (named)
		if (head[0] == '(' || head[0] == ']' || head[0] == '}' ||
		    head[0] == 'c' || head[0] == 0x78 || !memcmp(head, "ZF", 2))
			return 1;	/* protocol 0/1 pickles, joblib's zlib */
	return 0;
}

const struct mlreg_inspector mlreg_inspector_pickle = {
	"pickle", sniff_pickle, mlreg_inspect_pickle
};
