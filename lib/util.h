/*
 * Small helpers shared by the library: allocation that aborts on exhaustion
 * (as git's xmalloc: a registry cannot do anything useful without memory),
 * formatted strings, RFC 3339 times, hex and SHA-256 through OpenSSL's EVP.
 */
#ifndef MLREG_UTIL_H
#define MLREG_UTIL_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#define MLREG_HASH_LEN 32		/* SHA-256 digest bytes */
#define MLREG_HEX_LEN 64		/* SHA-256 digest as lowercase hex */

void *xmalloc(size_t n);
void *xcalloc(size_t n, size_t size);
void *xrealloc(void *p, size_t n);
char *xstrdup(const char *s);
char *xstrndup(const char *s, size_t n);
/* Returns a newly allocated formatted string. */
char *xasprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/*
 * Makes room for at least n elements in the array p whose capacity is cap
 * (git's ALLOC_GROW): grows to max(n, 1.5 x cap + 16), so appending one at a
 * time costs amortised O(1); aborts on overflow or exhaustion as xrealloc.
 * p and cap are lvalues evaluated more than once.  Usage:
 *	MLREG_ALLOC_GROW(v, nv + 1, capv); v[nv++] = x;
 */
#define MLREG_ALLOC_GROW(p, n, cap) do { \
	if ((size_t)(n) > (cap)) { \
		size_t alloc_grow_c_ = (cap) + (cap) / 2 + 16; \
		if (alloc_grow_c_ < (size_t)(n)) \
			alloc_grow_c_ = (size_t)(n); \
		(p) = xreallocarray((p), alloc_grow_c_, sizeof(*(p))); \
		(cap) = alloc_grow_c_; \
	} \
} while (0)

/* Returns p grown to n elements of size bytes; aborts on overflow or exhaustion. */
void *xreallocarray(void *p, size_t n, size_t size);

/*
 * struct mlreg_buf: the one growing string of mlreg (git's strbuf.h is the
 * model; only what callers use is here).
 *
 * Invariants: p is NULL until the first append (a zero-initialised buffer,
 * MLREG_BUF_INIT, is an empty one and needs no set-up); from then on p
 * holds cap >= len + 1 bytes and p[len] is always '\0', so p can be passed
 * as a C string, though its len bytes may themselves hold NULs (binary
 * data).  Growth goes through MLREG_ALLOC_GROW, so it is amortised O(1)
 * and aborts on overflow or exhaustion as xmalloc does: a caller that takes
 * input from outside bounds len itself (see fetch.c's max).
 *
 * Use:
 *	struct mlreg_buf b = MLREG_BUF_INIT;
 *	mlreg_buf_addstr(&b, "name=");
 *	mlreg_buf_add(&b, value, n);
 *	mlreg_buf_addch(&b, '\n');
 *	s = mlreg_buf_detach(&b, NULL);
 * after which s is the caller's to free and b is empty again; or
 * mlreg_buf_release(&b) to drop what was built.
 */
struct mlreg_buf {
	char *p;	/* the bytes, NUL-terminated; NULL before the first append */
	size_t len;	/* bytes used, not counting the NUL */
	size_t cap;	/* bytes allocated at p */
};
#define MLREG_BUF_INIT { NULL, 0, 0 }

/* Appends n bytes of s to b. */
void mlreg_buf_add(struct mlreg_buf *b, const void *s, size_t n);

/* Appends the C string s to b. */
void mlreg_buf_addstr(struct mlreg_buf *b, const char *s);

/* Appends one byte c to b. */
void mlreg_buf_addch(struct mlreg_buf *b, char c);

/*
 * Returns b's string, now the caller's to free ("" allocated when b is
 * still empty, never NULL), with its length in *len when len is not NULL;
 * b is left empty (MLREG_BUF_INIT), ready for reuse.
 */
char *mlreg_buf_detach(struct mlreg_buf *b, size_t *len);

/* Frees b's bytes and leaves it empty (MLREG_BUF_INIT). */
void mlreg_buf_release(struct mlreg_buf *b);

/* Wipes all cap bytes of b (it held a secret), frees them and empties b. */
void mlreg_buf_wipe(struct mlreg_buf *b);

/* Writes the current UTC time as RFC 3339 with microseconds into buf (>= 32 bytes). */
void mlreg_time_now(char *buf, size_t len);

/* Writes len bytes of in as lowercase hex plus NUL into out. */
void mlreg_hex(char *out, const unsigned char *in, size_t len);

/* Returns 1 when s is exactly 64 lowercase hex digits. */
int mlreg_is_hex64(const char *s);

/* Returns the value of hex digit c (either case), -1 when it is not one. */
int mlreg_hexval(int c);

/*
 * Returns 0 after decoding hex, 64 lowercase hex digits (mlreg_is_hex64),
 * into 32 bytes at out; -1, out untouched, when it is not that.
 */
int mlreg_unhex64(unsigned char *out, const char *hex);

/* Streaming SHA-256. */
struct mlreg_sha256 {
	void *ctx;	/* EVP_MD_CTX */
};
void mlreg_sha256_init(struct mlreg_sha256 *h);
void mlreg_sha256_update(struct mlreg_sha256 *h, const void *data, size_t len);
/* Finishes the hash, writes the hex digest into hex (65 bytes) and frees the context. */
void mlreg_sha256_final_hex(struct mlreg_sha256 *h, char *hex);
/* Hashes one buffer into hex (65 bytes). */
void mlreg_sha256_hex(const void *data, size_t len, char *hex);

/* Writes the MD5 of len bytes of data as lowercase hex (33 bytes) into hex: S3's ETag of
 * a single-part object, nothing mlreg trusts for integrity. */
void mlreg_md5_hex(const void *data, size_t len, char *hex);

/* Returns seconds on a monotonic clock, for intervals. */
double mlreg_monotonic(void);

/* Waits ms milliseconds, going on after signals. */
void mlreg_sleep_ms(long ms);

/* Writes a human size ("1.5 MiB", "512 B") into buf. */
void mlreg_human_size(char *buf, size_t len, uint64_t n);

/* Returns 0 after writing all of buf to fd, or MLREG_EOS naming what. */
int mlreg_write_all(int fd, const void *buf, size_t len, const char *what);

/* Returns bytes read (0 at EOF) or -1 with errno set; retries on EINTR. */
ssize_t mlreg_read_retry(int fd, void *buf, size_t len);

/*
 * Returns the value of environment variable name when it is a decimal
 * number from lo to hi, else dflt: unset, empty, malformed or out of range
 * (a bad setting falls back to the default rather than failing).
 */
long mlreg_env_long(const char *name, long lo, long hi, long dflt);

#endif
