/*
 * The pickle opcode scanner (mlreg_pickle_scan(), inspect-int.h) that the
 * inspectors of pickles, joblib files and PyTorch's legacy format
 * (pickle.c) and of PyTorch zip archives (zip-formats.c, for data.pkl)
 * share.  Loading a pickle runs whatever callables it names (os.system as
 * easily as a class constructor), so all mlreg does is walk its opcodes:
 * each opcode's argument length is known from pickletools' table
 * (protocols 0 to 5), so the walk skips data it does not need by offset
 * arithmetic and reads only short strings and lines.  It collects the
 * globals the pickle would import (GLOBAL and INST name them in text;
 * STACK_GLOBAL takes the two strings pushed before it, possibly fetched
 * from the memo, which is tracked for strings only), flags the dangerous
 * ones, and guesses the framework from them.  It is one state machine,
 * one opcode at a time (step()), and long for that reason.
 *
 * Files hold more than one pickle: torch's legacy format writes its magic
 * number, a protocol version, system information, the object and the list
 * of storage keys as five pickles, then raw storage bytes; so after a STOP
 * another pickle is walked when the next byte is a PROTO opcode.  joblib
 * writes each numpy array's raw bytes inline, right after the pickled
 * NumpyArrayWrapper that describes it (a padding length byte and padding
 * first, when numpy_array_alignment_bytes is set); the walk follows the
 * wrapper's shape and dtype to skip those bytes, and an object array's
 * nested pickle is walked as part of the outer one.
 *
 * Every walk is bounded: opcode count, bytes read, memo size, line and
 * string lengths.  A malformed first pickle is an error; trouble after it
 * (trailing data, a limit) ends the walk and is reported.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "error.h"
#include "inspect-int.h"
#include "util.h"

#define PK_MAX_OPS 4000000		/* opcodes walked */
#define PK_MAX_READ (16u << 20)		/* bytes read (not skipped ones) */
#define PK_MAX_GLOBALS 50		/* distinct globals listed */
#define PK_MAX_STR 256			/* bytes of a module or name */
#define PK_MAX_LINE 4096		/* bytes of a text opcode's line */
#define PK_MAX_MEMO (1u << 18)		/* memo entries tracked */
#define PK_MAX_DIMS 32			/* dimensions of a joblib array */
#define PK_LEGACY_PICKLES 5		/* pickles in torch's legacy format */
#define BUF_SIZE 65536

/* How an opcode's argument is laid out. */
enum {
	A_BAD,		/* not an opcode */
	A_NONE,		/* no argument */
	A_FIX1, A_FIX2, A_FIX4, A_FIX8,	/* fixed size */
	A_LINE,		/* up to a newline */
	A_LINE2,	/* two lines: module and name */
	A_LEN1, A_LEN4, A_LEN8	/* a length (u8, s32, u64), then the bytes */
};

/* The argument layout of each opcode, after pickletools' table. */
static unsigned char arg_of[256];

/* What an item on the (imagined) stack is, as far as the walk cares. */
enum { K_OTHER, K_STR, K_INT, K_WRAPPER, K_DTYPE };

struct item {
	unsigned char kind;	/* K_* */
	uint16_t len;		/* K_STR, K_DTYPE: string length */
	uint64_t off;		/* K_STR, K_DTYPE: where the string is */
	int64_t ival;		/* K_INT: the value */
};

/* What the walk follows of a joblib NumpyArrayWrapper's state. */
enum { J_NONE, J_SHAPE, J_DTYPE, J_ALIGN };

struct walk {
	const struct mlreg_src *src;
	struct mlreg_pickle_scan *scan;
	int partial;			/* src is only a prefix of the stream */
	uint64_t off;			/* next byte */
	uint64_t read;			/* bytes read so far */
	uint64_t ops;			/* opcodes walked */
	uint64_t buf_off;		/* buffered bytes: their offset... */
	size_t buf_len;			/* ...and count */
	unsigned char buf[BUF_SIZE];
	struct item last[2];		/* the two items pushed last */
	struct item *memo;		/* memo entries we follow, by index */
	size_t memo_cap, memo_next;
	int prev_op;			/* opcode before this one */
	int depth;			/* nested pickles open (joblib) */
	/* the joblib array being described */
	int jb_in;			/* inside a NumpyArrayWrapper's state */
	int jb_want;			/* J_*: what the next values are */
	int jb_dims_ok;			/* shape known */
	size_t jb_ndim;
	int64_t jb_dims[PK_MAX_DIMS];
	char jb_dtype[32];		/* numpy dtype code, "" unknown */
	struct item jb_code;		/* where that code was read */
	int jb_code_pending;		/* the next REDUCE builds that dtype */
	int bad_op;			/* an unknown opcode, for messages */
	int64_t jb_align;		/* alignment, 0 none */
};

/* Fills arg_of once. */
static void init_table(void)
{
	static const char none[] = "(.012NQRabd}elo]st)u";
	static const unsigned char none2[] = {
		0x81, 0x85, 0x86, 0x87, 0x88, 0x89, 0x8f, 0x90, 0x91, 0x92,
		0x93, 0x94, 0x97, 0x98
	};
	size_t i;

	if (arg_of['.'])
		return;
	for (i = 0; none[i]; i++)
		arg_of[(unsigned char)none[i]] = A_NONE;
	for (i = 0; i < sizeof(none2); i++)
		arg_of[none2[i]] = A_NONE;
	arg_of['K'] = arg_of['h'] = arg_of['q'] = A_FIX1;
	arg_of[0x80] = arg_of[0x82] = A_FIX1;
	arg_of['M'] = arg_of[0x83] = A_FIX2;
	arg_of['J'] = arg_of['j'] = arg_of['r'] = arg_of[0x84] = A_FIX4;
	arg_of['G'] = arg_of[0x95] = A_FIX8;
	arg_of['F'] = arg_of['I'] = arg_of['L'] = arg_of['P'] = arg_of['S'] =
		arg_of['V'] = arg_of['g'] = arg_of['p'] = A_LINE;
	arg_of['c'] = arg_of['i'] = A_LINE2;
	arg_of['U'] = arg_of['C'] = arg_of[0x8c] = arg_of[0x8a] = A_LEN1;
	arg_of['T'] = arg_of['X'] = arg_of['B'] = arg_of[0x8b] = A_LEN4;
	arg_of[0x8d] = arg_of[0x8e] = arg_of[0x96] = A_LEN8;
}

int mlreg_pickle_opcode(unsigned char op)
{
	init_table();
	return arg_of[op] != A_BAD;
}

/*
 * Returns 0 after reading n bytes at the walk's offset into dst; 1 when
 * the stream ends first (the caller decides whether that is an error);
 * MLREG_EOS on a read error or MLREG_EINVALID past the read limit.
 */
static int take(struct walk *w, void *dst, size_t n)
{
	int err;

	if (n > w->src->size - w->off)
		return 1;
	if ((w->read += n) > PK_MAX_READ)
		return 2;
	if (w->off < w->buf_off || w->off - w->buf_off > w->buf_len ||
	    n > w->buf_len - (w->off - w->buf_off)) {
		if (n > BUF_SIZE / 2) {
			if ((err = mlreg_src_read(w->src, w->off, dst, n)) < 0)
				return err;
			w->off += n;
			return 0;
		}
		w->buf_off = w->off;
		w->buf_len = w->src->size - w->off < BUF_SIZE ?
			     (size_t)(w->src->size - w->off) : BUF_SIZE;
		err = mlreg_src_read(w->src, w->off, w->buf, w->buf_len);
		if (err < 0) {
			w->buf_len = 0;
			return err;
		}
	}
	memcpy(dst, w->buf + (w->off - w->buf_off), n);
	w->off += n;
	return 0;
}

/* Returns 0 after skipping n bytes, 1 when the stream ends first. */
static int skip(struct walk *w, uint64_t n)
{
	if (n > w->src->size - w->off)
		return 1;
	w->off += n;
	return 0;
}

/*
 * Returns 0 after reading a line (without its newline) into out (cap
 * bytes with the NUL), its length in *n; 1 at the end of the stream, 3
 * when longer than cap.
 */
static int take_line(struct walk *w, char *out, size_t cap, size_t *n)
{
	int err;

	*n = 0;
	for (;;) {
		char c;
		if ((err = take(w, &c, 1)))
			return err;
		if (c == '\n')
			break;
		if (*n + 1 >= cap)
			return 3;
		out[(*n)++] = c;
	}
	out[*n] = 0;
	return 0;
}

/* Returns 0 and the string of item it (K_STR or K_DTYPE) in out (257 bytes). */
static int item_str(struct walk *w, const struct item *it, char *out)
{
	int err = mlreg_src_read(w->src, it->off, out, it->len);

	out[err < 0 ? 0 : it->len] = 0;
	return err;
}

/* Pushes it: the item before the last is forgotten. */
static void push(struct walk *w, struct item it)
{
	w->last[0] = w->last[1];
	w->last[1] = it;
}

/* Pushes an item the walk does not follow. */
static void push_other(struct walk *w)
{
	struct item it = { K_OTHER, 0, 0, 0 };

	push(w, it);
}

/* Remembers the last item under memo index idx when it is worth knowing. */
static void memo_put(struct walk *w, uint64_t idx)
{
	if (idx >= PK_MAX_MEMO)
		return;
	if (idx >= w->memo_cap) {
		size_t old = w->memo_cap;
		if (w->last[1].kind == K_OTHER)
			return;
		MLREG_ALLOC_GROW(w->memo, idx + 1, w->memo_cap);
		memset(w->memo + old, 0,
		       (w->memo_cap - old) * sizeof(*w->memo));	/* K_OTHER */
	}
	w->memo[idx] = w->last[1];
}

/* Pushes the item remembered under memo index idx. */
static void memo_get(struct walk *w, uint64_t idx)
{
	if (idx < w->memo_cap)
		push(w, w->memo[idx]);
	else
		push_other(w);
}

/* Returns 1 when module.name can run commands or code, or destroy files. */
static int is_dangerous(const char *mod, const char *name)
{
	static const char *const whole[] = {
		"subprocess", "_posixsubprocess", "runpy", "pty", "commands",
		"popen2", "ctypes", "code", "marshal", "_winapi",
		"multiprocessing",
	};
	static const char *const os_names[] = {
		"system", "popen", "startfile", "fork", "forkpty", "kill",
		"killpg", "remove", "unlink", "rmdir", "removedirs", "execl",
		"execle", "execlp", "execlpe", "execv", "execve", "execvp",
		"execvpe", "spawnl", "spawnle", "spawnlp", "spawnlpe", "spawnv",
		"spawnve", "spawnvp", "spawnvpe", "posix_spawn", "posix_spawnp",
	};
	static const char *const builtin_names[] = {
		"eval", "exec", "execfile", "compile", "__import__", "open",
		"breakpoint", "input",
	};
	static const struct {
		const char *mod, *name;
	} pairs[] = {
		{ "shutil", "rmtree" },
		{ "shutil", "move" },
		{ "importlib", "import_module" },
		{ "importlib", "__import__" },
		{ "pickle", "loads" },
		{ "pickle", "load" },
		{ "_pickle", "loads" },
		{ "_pickle", "load" },
		{ "types", "CodeType" },
		{ "types", "FunctionType" },
		{ "webbrowser", "open" },
		{ "torch.serialization", "load" },
		{ "numpy", "load" },
	};
	size_t i, n = strlen(mod);

	for (i = 0; i < sizeof(whole) / sizeof(whole[0]); i++) {
		size_t k = strlen(whole[i]);
		if (!strncmp(mod, whole[i], k) && (n == k || mod[k] == '.'))
			return 1;
	}
	if (!strcmp(mod, "os") || !strcmp(mod, "posix") || !strcmp(mod, "nt"))
		for (i = 0; i < sizeof(os_names) / sizeof(os_names[0]); i++)
			if (!strcmp(name, os_names[i]))
				return 1;
	if (!strcmp(mod, "builtins") || !strcmp(mod, "__builtin__"))
		for (i = 0;
		     i < sizeof(builtin_names) / sizeof(builtin_names[0]); i++)
			if (!strcmp(name, builtin_names[i]))
				return 1;
	for (i = 0; i < sizeof(pairs) / sizeof(pairs[0]); i++)
		if (!strcmp(mod, pairs[i].mod) && !strcmp(name, pairs[i].name))
			return 1;
	return 0;
}

/* Returns the framework whose module mod is, or NULL. */
static const char *framework_of(const char *mod)
{
	static const struct {
		const char *prefix, *framework;
	} table[] = {
		{ "sklearn", "scikit-learn" }, { "xgboost", "xgboost" },
		{ "lightgbm", "lightgbm" }, { "catboost", "catboost" },
		{ "torch", "pytorch" }, { "tensorflow", "tensorflow" },
		{ "keras", "keras" }, { "statsmodels", "statsmodels" },
		{ "prophet", "prophet" }, { "spacy", "spacy" },
	};
	size_t i, n = strlen(mod);

	for (i = 0; i < sizeof(table) / sizeof(table[0]); i++) {
		size_t k = strlen(table[i].prefix);
		if (!strncmp(mod, table[i].prefix, k) &&
		    (n == k || mod[k] == '.'))
			return table[i].framework;
	}
	return NULL;
}

/* Returns 1 when the JSON array a holds the string s. */
static int has_string(const cJSON *a, const char *s)
{
	const cJSON *e;

	cJSON_ArrayForEach(e, a)
		if (cJSON_IsString(e) && !strcmp(e->valuestring, s))
			return 1;
	return 0;
}

/*
 * Records the global module.name and returns the item it pushes: a
 * K_WRAPPER for joblib's NumpyArrayWrapper, else K_OTHER.
 */
static struct item saw_global(struct walk *w, const char *mod, const char *name)
{
	struct item it = { K_OTHER, 0, 0, 0 };
	struct mlreg_pickle_scan *s = w->scan;
	char *full;
	size_t i;

	/* names are shown in JSON and messages: no control characters */
	full = xasprintf("%s.%s", mod, name);
	for (i = 0; full[i]; i++)
		if ((unsigned char)full[i] < 0x20 || full[i] == 0x7f)
			full[i] = '?';
	if (!has_string(s->globals, full)) {
		if (cJSON_GetArraySize(s->globals) < PK_MAX_GLOBALS)
			cJSON_AddItemToArray(s->globals,
					     cJSON_CreateString(full));
		else
			s->globals_truncated = 1;
	}
	if (is_dangerous(mod, name) && !has_string(s->dangerous, full) &&
	    cJSON_GetArraySize(s->dangerous) < PK_MAX_GLOBALS)
		cJSON_AddItemToArray(s->dangerous, cJSON_CreateString(full));
	if (!s->framework)
		s->framework = framework_of(mod);
	if (!strncmp(mod, "joblib", 6) && (!mod[6] || mod[6] == '.'))
		s->joblib = 1;
	if (!strcmp(mod, "joblib.numpy_pickle") &&
	    !strcmp(name, "NumpyArrayWrapper"))
		it.kind = K_WRAPPER;
	free(full);
	return it;
}

/* Returns the bytes of one element of numpy dtype code s, 0 if unknown. */
static uint64_t dtype_size(const char *s, int *object)
{
	uint64_t n = 0;
	char kind;

	*object = 0;
	if (*s == '<' || *s == '>' || *s == '|' || *s == '=')
		s++;
	kind = *s++;
	if (kind == 'O') {
		*object = 1;
		return 0;
	}
	if (!strchr("biufcSaUVMm", kind) || !kind)
		return 0;
	while (*s >= '0' && *s <= '9' && n < 1000000)
		n = n * 10 + (uint64_t)(*s++ - '0');
	if (*s && *s != '[')
		return 0;
	return kind == 'U' ? n * 4 : n;
}

/*
 * Returns 0 after skipping the raw bytes of the joblib array just built
 * (padding first when aligned); 4 when its shape or dtype is unknown.
 */
static int skip_joblib_array(struct walk *w)
{
	uint64_t n = 1, size;
	int object, err;
	size_t i;

	w->jb_in = 0;
	size = dtype_size(w->jb_dtype, &object);
	if (object) {
		w->depth++;	/* a nested pickle of the objects follows */
		return 0;
	}
	if (!w->jb_dims_ok || !size)
		return 4;
	for (i = 0; i < w->jb_ndim; i++)
		if (w->jb_dims[i] < 0 ||
		    __builtin_mul_overflow(n, (uint64_t)w->jb_dims[i], &n))
			return 4;
	if (__builtin_mul_overflow(n, size, &n))
		return 4;
	if (w->jb_align) {
		unsigned char pad;
		if ((err = take(w, &pad, 1)))
			return err;
		if (!pad || pad > w->jb_align || (err = skip(w, pad)))
			return err ? err : 4;
	}
	return skip(w, n);
}

/* Follows a joblib wrapper's state as item it is pushed. */
static void joblib_value(struct walk *w, const struct item *it, int op)
{
	char s[PK_MAX_STR + 1];

	if (!w->jb_in)
		return;
	/*
	 * After the "dtype" key come the numpy.dtype global (two strings and
	 * STACK_GLOBAL, a GLOBAL, or a memo fetch) and then the dtype code: the
	 * first string pushed after something that is not a string.
	 */
	if (it->kind == K_STR && w->jb_want != J_SHAPE &&
	    (w->jb_want != J_DTYPE || w->last[0].kind != K_STR)) {
		if (item_str(w, it, s) < 0)
			return;
		if (w->jb_want == J_DTYPE) {
			snprintf(w->jb_dtype, sizeof(w->jb_dtype), "%.31s", s);
			w->jb_want = J_NONE;
			w->jb_code = *it;
			w->jb_code_pending = 1;
		} else if (!strcmp(s, "shape")) {
			w->jb_want = J_SHAPE;
			w->jb_ndim = 0;
			w->jb_dims_ok = 0;
		} else if (!strcmp(s, "dtype")) {
			w->jb_want = J_DTYPE;
		} else if (!strcmp(s, "numpy_array_alignment_bytes")) {
			w->jb_want = J_ALIGN;
		}
		return;
	}
	if (w->jb_want == J_DTYPE && it->kind == K_DTYPE) {
		struct item code = *it;
		code.kind = K_STR;
		if (item_str(w, &code, s) == 0)
			snprintf(w->jb_dtype, sizeof(w->jb_dtype), "%.31s", s);
		w->jb_want = J_NONE;
		return;
	}
	if (w->jb_want == J_ALIGN && it->kind == K_INT) {
		w->jb_align = it->ival;
		w->jb_want = J_NONE;
		return;
	}
	if (w->jb_want == J_SHAPE) {
		if (it->kind == K_INT && w->jb_ndim < PK_MAX_DIMS)
			w->jb_dims[w->jb_ndim++] = it->ival;
		else if (op != '(')
			w->jb_want = J_NONE;	/* not ints: unknown */
	}
}

/*
 * Returns 0 after walking one opcode op; 1 at the stream's end inside an
 * argument, 2 past the read limit, 3 for a malformed argument, 4 when a
 * joblib array cannot be skipped, 5 at the end of a pickle (STOP), 6 for
 * an unknown opcode; a negative code for a read error.
 */
static int step(struct walk *w, int op)
{
	unsigned char b[8];
	char line[PK_MAX_LINE], line2[PK_MAX_LINE];
	struct item it = { K_OTHER, 0, 0, 0 };
	uint64_t len = 0;
	size_t n = 0, n2 = 0;
	int err = 0, i;

	line[0] = line2[0] = 0;
	switch (arg_of[op]) {
	case A_BAD:
		w->bad_op = op;
		return 6;
	case A_FIX1:
	case A_FIX2:
	case A_FIX4:
	case A_FIX8: {
		static const size_t sizes[] = { 0, 0, 1, 2, 4, 8 };
		size_t k = sizes[arg_of[op]];
		if ((err = take(w, b, k)))
			return err;
		for (i = (int)k - 1; i >= 0; i--)
			len = len << 8 | b[i];
		break;
	}
	case A_LINE:
		if ((err = take_line(w, line, sizeof(line), &n)))
			return err;
		break;
	case A_LINE2:
		if ((err = take_line(w, line, sizeof(line), &n)) ||
		    (err = take_line(w, line2, sizeof(line2), &n2)))
			return err;
		break;
	case A_LEN1:
		if ((err = take(w, b, 1)))
			return err;
		len = b[0];
		break;
	case A_LEN4:
		if ((err = take(w, b, 4)))
			return err;
		len = (uint64_t)b[0] | (uint64_t)b[1] << 8 |
		      (uint64_t)b[2] << 16 | (uint64_t)b[3] << 24;
		if (len & 0x80000000u)
			return 3;	/* negative length */
		break;
	case A_LEN8:
		if ((err = take(w, b, 8)))
			return err;
		for (i = 7; i >= 0; i--)
			len = len << 8 | b[i];
		break;
	}
	if (arg_of[op] >= A_LEN1) {
		if (op == 0x8a && len <= 8) {	/* LONG1: a small integer */
			int64_t v = 0;
			if ((err = take(w, b, (size_t)len)))
				return err;
			for (i = (int)len - 1; i >= 0; i--)
				v = (int64_t)((uint64_t)v << 8 | b[i]);
			if (len && len < 8 && (b[len - 1] & 0x80))
				v -= (int64_t)1 << (8 * len);
			it.kind = K_INT;
			it.ival = v;
		} else {
			if ((op == 0x8c || op == 'X' || op == 0x8d ||
			     op == 'U' || op == 'T') &&
			    len <= PK_MAX_STR) {
				it.kind = K_STR;
				it.off = w->off;
				it.len = (uint16_t)len;
			}
			if ((err = skip(w, len)))
				return err;
		}
	}
	switch (op) {
	case '.':	/* STOP */
		if (w->depth > 0) {
			w->depth--;
			push_other(w);
			break;
		}
		return 5;
	case 0x80:	/* PROTO */
		if (len > 5)
			return 3;
		if (!w->scan->protocol)
			w->scan->protocol = (int)len;
		break;
	case 0x95:	/* FRAME: a hint for buffering only */
		break;
	case 0x94:	/* MEMOIZE */
		memo_put(w, w->memo_next++);
		break;
	case 'q':	/* BINPUT */
	case 'r':	/* LONG_BINPUT */
		memo_put(w, len);
		break;
	case 'p':	/* PUT */
		memo_put(w, strtoull(line, NULL, 10));
		break;
	case 'h':	/* BINGET */
	case 'j':	/* LONG_BINGET */
		memo_get(w, len);
		it = w->last[1];
		break;
	case 'g':	/* GET */
		memo_get(w, strtoull(line, NULL, 10));
		it = w->last[1];
		break;
	case 'c':	/* GLOBAL */
	case 'i':	/* INST */
		it = saw_global(w, line, line2);
		if (op == 'i')
			it.kind = K_OTHER;
		push(w, it);
		break;
	case 0x93:	/* STACK_GLOBAL */
		if (w->last[0].kind == K_STR && w->last[1].kind == K_STR) {
			char mod[PK_MAX_STR + 1], name[PK_MAX_STR + 1];
			if ((err = item_str(w, &w->last[0], mod)) < 0 ||
			    (err = item_str(w, &w->last[1], name)) < 0)
				return err;
			it = saw_global(w, mod, name);
		} else {
			w->scan->unresolved++;	/* names built some other way */
		}
		push(w, it);
		break;
	case 0x82:	/* EXT1: a global from copyreg's extension registry */
	case 0x83:	/* EXT2 */
	case 0x84:	/* EXT4 */
		w->scan->unresolved++;
		push_other(w);
		break;
	case 'K':	/* BININT1 */
	case 'M':	/* BININT2 */
		it.kind = K_INT;
		it.ival = (int64_t)len;
		push(w, it);
		break;
	case 'J':	/* BININT */
		it.kind = K_INT;
		it.ival = (int32_t)(uint32_t)len;
		push(w, it);
		break;
	case 'I':	/* INT */
	case 'L':	/* LONG */
		if (n > 0 && n < 19 && line[0] >= '0' && line[0] <= '9') {
			it.kind = K_INT;
			it.ival = strtoll(line, NULL, 10);
		}
		push(w, it);
		break;
	case 'S':	/* STRING: a quoted repr */
	case 'V':	/* UNICODE: raw-unicode-escape */
		if (op == 'S' && n >= 2 &&
		    (line[0] == '\'' || line[0] == '"') &&
		    line[n - 1] == line[0] && n - 2 <= PK_MAX_STR &&
		    !memchr(line + 1, '\\', n - 2)) {
			it.kind = K_STR;
			it.off = w->off - n;
			it.len = (uint16_t)(n - 2);
		} else if (op == 'V' && n <= PK_MAX_STR &&
			   !memchr(line, '\\', n)) {
			it.kind = K_STR;
			it.off = w->off - 1 - n;
			it.len = (uint16_t)n;
		}
		push(w, it);
		break;
	case 0x81:	/* NEWOBJ */
	case 0x92:	/* NEWOBJ_EX */
		if (w->last[0].kind == K_WRAPPER) {
			w->jb_in = 1;
			w->jb_want = J_NONE;
			w->jb_dims_ok = 0;
			w->jb_dtype[0] = 0;
			w->jb_align = 0;
			w->jb_code_pending = 0;
		}
		push_other(w);
		break;
	case 'R':	/* REDUCE */
		if (w->jb_in && w->jb_code_pending) {
			/* numpy.dtype(code, ...): its code, for the memo */
			it = w->jb_code;
			it.kind = K_DTYPE;
			w->jb_code_pending = 0;
		}
		push(w, it);
		break;
	case 'b':	/* BUILD */
		push_other(w);
		if (w->jb_in && w->prev_op == 'u')
			return skip_joblib_array(w);
		break;
	case '(':	/* MARK */
	case '0':	/* POP */
	case '1':	/* POP_MARK */
		break;
	default:
		push(w, it);
		break;
	}
	if (w->jb_in) {
		if ((op == ')' || op == 't' || op == 0x85 || op == 0x86 ||
		     op == 0x87) &&
		    w->jb_want == J_SHAPE) {
			w->jb_dims_ok = 1;
			w->jb_want = J_NONE;
		} else if (op != 0x94 && op != 'q' && op != 'r' && op != 'p' &&
			   op != 0x95) {
			joblib_value(w, &w->last[1], op);
		}
	}
	return 0;
}

/* Returns a short phrase for a walk's stop code. */
static const char *stop_reason(int code)
{
	switch (code) {
	case 1:
		return "the data ends inside an opcode";
	case 2:
		return "the read limit was reached";
	case 3:
		return "a malformed opcode argument";
	case 4:
		return "an inline joblib array of unknown size";
	case 6:
		return "an unknown opcode";
	case 7:
		return "the opcode limit was reached";
	default:
		return "no STOP opcode";
	}
}

/*
 * Returns 0 after walking the pickles of w's source; MLREG_EINVALID when
 * the first one is malformed, a negative code on a read error.
 */
static int walk_all(struct walk *w)
{
	static const unsigned char magic[] = {
		0x8a, 0x0a, 0x6c, 0xfc, 0x9c, 0x46, 0xf9, 0x20, 0x6a, 0xa8,
		0x50, 0x19
	};
	struct mlreg_pickle_scan *s = w->scan;
	const char *name = w->src->name;
	unsigned char head[14];
	size_t hn = w->src->size < sizeof(head) ? (size_t)w->src->size
						: sizeof(head);
	uint64_t op_off = 0;
	int code = 0, err;

	if ((err = mlreg_src_read(w->src, 0, head, hn)) < 0)
		return err;
	if ((hn >= 14 && head[0] == 0x80 &&
	     !memcmp(head + 2, magic, sizeof(magic))) ||
	    (hn >= 12 && !memcmp(head, magic, sizeof(magic))))
		s->torch_legacy = 1;
	for (;;) {
		unsigned char op;
		op_off = w->off;
		if (w->ops++ >= PK_MAX_OPS) {
			code = 7;
			break;
		}
		if ((code = take(w, &op, 1)))
			break;
		code = step(w, op);
		w->prev_op = op;
		if (code < 0)
			return code;
		if (code == 0)
			continue;
		if (code != 5)	/* the walk cannot go on */
			break;
		s->pickles++;
		code = 0;
		if (s->torch_legacy && s->pickles >= PK_LEGACY_PICKLES)
			break;	/* raw storage bytes follow */
		if (take(w, &op, 1) || op != 0x80)
			break;	/* the end, or data that is no pickle */
		w->off--;	/* the next pickle starts with this PROTO */
		w->memo_next = 0;
		w->memo_cap = 0;
		free(w->memo);
		w->memo = NULL;
	}
	if (code == 0) {
		s->complete = 1;
		return 0;
	}
	if (s->pickles == 0 &&
	    (code == 3 || code == 6 || (code == 1 && !w->partial)) &&
	    !(s->joblib && code != 1)) {
		if (code == 6 && op_off == 0)
			return mlreg_error_set(MLREG_EINVALID,
					       "'%s' is not a pickle: it "
					       "starts with byte 0x%02x",
					       name, w->bad_op);
		if (code == 6)
			return mlreg_error_set(
				MLREG_EINVALID,
				"'%s' is not a valid pickle: "
				"unknown opcode 0x%02x at offset %llu",
				name, w->bad_op, (unsigned long long)op_off);
		if (code == 1)
			return mlreg_error_set(
				MLREG_EINVALID,
				"'%s' is truncated: its pickle "
				"ends at offset %llu without a STOP opcode",
				name, (unsigned long long)op_off);
		return mlreg_error_set(MLREG_EINVALID,
				       "'%s' is not a valid pickle: %s at "
				       "offset %llu",
				       name, stop_reason(code),
				       (unsigned long long)op_off);
	}
	snprintf(s->stop, sizeof(s->stop), "%s at offset %llu",
		 stop_reason(code), (unsigned long long)op_off);
	return 0;
}

void mlreg_pickle_scan_free(struct mlreg_pickle_scan *scan)
{
	cJSON_Delete(scan->globals);
	cJSON_Delete(scan->dangerous);
	scan->globals = scan->dangerous = NULL;
}

int mlreg_pickle_scan(struct mlreg_pickle_scan *scan,
		      const struct mlreg_src *src, int partial)
{
	struct walk *w = xcalloc(1, sizeof(*w));
	int err;

	init_table();
	memset(scan, 0, sizeof(*scan));
	scan->globals = cJSON_CreateArray();
	scan->dangerous = cJSON_CreateArray();
	w->src = src;
	w->scan = scan;
	w->partial = partial;
	err = walk_all(w);
	free(w->memo);
	free(w);
	if (err < 0)
		mlreg_pickle_scan_free(scan);
	return err;
}
