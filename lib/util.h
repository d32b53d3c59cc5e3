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
 * A growing string, git's strbuf reduced to what lib/ needs: p is NULL
 * until the first append, then always NUL-terminated after its len bytes
 * (which may hold NULs); the caller frees p.  Start with MLREG_BUF_INIT.
 */
struct mlreg_buf {
	char *p;
	size_t len, cap;
};
#define MLREG_BUF_INIT { NULL, 0, 0 }

/* Appends n bytes of s to b (growing it at least twofold when full). */
void mlreg_buf_add(struct mlreg_buf *b, const void *s, size_t n);

/* Wipes all cap bytes of b (it held a secret), frees them and empties b. */
void mlreg_buf_wipe(struct mlreg_buf *b);

/* Writes the current UTC time as RFC 3339 with microseconds into buf (>= 32 bytes). */
void mlreg_time_now(char *buf, size_t len);

/* Writes len bytes of in as lowercase hex plus NUL into out. */
void mlreg_hex(char *out, const unsigned char *in, size_t len);

/* Returns 1 when s is exactly 64 lowercase hex digits. */
int mlreg_is_hex64(const char *s);

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

#endif
