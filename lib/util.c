/*
 * Implementation of the shared helpers declared in util.h.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>

#include "error.h"
#include "util.h"

static void oom(void)
{
	/* The one place the library gives up: nothing sane is left to do. */
	fputs("fatal: out of memory\n", stderr);
	abort();
}

void *xmalloc(size_t n)
{
	void *p = malloc(n ? n : 1);
	if (!p)
		oom();
	return p;
}

void *xcalloc(size_t n, size_t size)
{
	void *p = calloc(n ? n : 1, size ? size : 1);
	if (!p)
		oom();
	return p;
}

void *xrealloc(void *p, size_t n)
{
	p = realloc(p, n ? n : 1);
	if (!p)
		oom();
	return p;
}

void *xreallocarray(void *p, size_t n, size_t size)
{
	if (size && n > SIZE_MAX / size)
		oom();
	return xrealloc(p, n * size);
}

char *xstrdup(const char *s)
{
	char *p = strdup(s);
	if (!p)
		oom();
	return p;
}

char *xstrndup(const char *s, size_t n)
{
	char *p = strndup(s, n);
	if (!p)
		oom();
	return p;
}

void mlreg_buf_add(struct mlreg_buf *b, const void *s, size_t n)
{
	if (n > SIZE_MAX - b->len - 1)
		oom();
	MLREG_ALLOC_GROW(b->p, b->len + n + 1, b->cap);
	if (n)
		memcpy(b->p + b->len, s, n);
	b->len += n;
	b->p[b->len] = '\0';
}

void mlreg_buf_addstr(struct mlreg_buf *b, const char *s)
{
	mlreg_buf_add(b, s, strlen(s));
}

void mlreg_buf_addch(struct mlreg_buf *b, char c)
{
	mlreg_buf_add(b, &c, 1);
}

char *mlreg_buf_detach(struct mlreg_buf *b, size_t *len)
{
	char *p = b->p ? b->p : xcalloc(1, 1);

	if (len)
		*len = b->len;
	b->p = NULL;
	b->len = b->cap = 0;
	return p;
}

void mlreg_buf_release(struct mlreg_buf *b)
{
	free(b->p);
	b->p = NULL;
	b->len = b->cap = 0;
}

void mlreg_buf_wipe(struct mlreg_buf *b)
{
	if (b->p) {
		OPENSSL_cleanse(b->p, b->cap);
		free(b->p);
	}
	b->p = NULL;
	b->len = b->cap = 0;
}

char *xasprintf(const char *fmt, ...)
{
	va_list ap;
	int n;
	char *p;

	va_start(ap, fmt);
	n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (n < 0)
		oom();
	p = xmalloc((size_t)n + 1);
	va_start(ap, fmt);
	vsnprintf(p, (size_t)n + 1, fmt, ap);
	va_end(ap);
	return p;
}

void mlreg_time_now(char *buf, size_t len)
{
	struct timespec ts;
	struct tm tm;
	char base[32];

	clock_gettime(CLOCK_REALTIME, &ts);
	gmtime_r(&ts.tv_sec, &tm);
	strftime(base, sizeof(base), "%Y-%m-%dT%H:%M:%S", &tm);
	snprintf(buf, len, "%s.%06ldZ", base, ts.tv_nsec / 1000);
}

void mlreg_hex(char *out, const unsigned char *in, size_t len)
{
	static const char digits[] = "0123456789abcdef";
	size_t i;

	for (i = 0; i < len; i++) {
		out[2 * i] = digits[in[i] >> 4];
		out[2 * i + 1] = digits[in[i] & 15];
	}
	out[2 * len] = '\0';
}

int mlreg_is_hex64(const char *s)
{
	size_t i;

	for (i = 0; i < MLREG_HEX_LEN; i++)
		if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f')))
			return 0;
	return s[i] == '\0';
}

int mlreg_hexval(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

int mlreg_unhex64(unsigned char *out, const char *hex)
{
	size_t i;

	if (!mlreg_is_hex64(hex))
		return -1;
	for (i = 0; i < MLREG_HEX_LEN / 2; i++)
		out[i] = (unsigned char)(mlreg_hexval(hex[2 * i]) << 4 | mlreg_hexval(hex[2 * i + 1]));
	return 0;
}

void mlreg_sha256_init(struct mlreg_sha256 *h)
{
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();

	if (!ctx || EVP_DigestInit_ex(ctx, EVP_sha256(), NULL) != 1)
		oom();
	h->ctx = ctx;
}

void mlreg_sha256_update(struct mlreg_sha256 *h, const void *data, size_t len)
{
	EVP_DigestUpdate((EVP_MD_CTX *)h->ctx, data, len);
}

void mlreg_sha256_final_hex(struct mlreg_sha256 *h, char *hex)
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int n = 0;

	EVP_DigestFinal_ex((EVP_MD_CTX *)h->ctx, md, &n);
	EVP_MD_CTX_free((EVP_MD_CTX *)h->ctx);
	h->ctx = NULL;
	mlreg_hex(hex, md, MLREG_HASH_LEN);
}

void mlreg_sha256_hex(const void *data, size_t len, char *hex)
{
	struct mlreg_sha256 h;

	mlreg_sha256_init(&h);
	mlreg_sha256_update(&h, data, len);
	mlreg_sha256_final_hex(&h, hex);
}

void mlreg_md5_hex(const void *data, size_t len, char *hex)
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int n = 0;

	EVP_Digest(data, len, md, &n, EVP_md5(), NULL);
	mlreg_hex(hex, md, 16);
}

double mlreg_monotonic(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

void mlreg_sleep_ms(long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };

	while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
		;
}

void mlreg_human_size(char *buf, size_t len, uint64_t n)
{
	static const char *units[] = { "KiB", "MiB", "GiB", "TiB", "PiB" };
	double v = (double)n;
	int u = -1;

	if (n < 1024) {
		snprintf(buf, len, "%llu B", (unsigned long long)n);
		return;
	}
	while (v >= 1024 && u < 4) {
		v /= 1024;
		u++;
	}
	snprintf(buf, len, "%.1f %s", v, units[u]);
}

int mlreg_write_all(int fd, const void *buf, size_t len, const char *what)
{
	const char *p = buf;

	while (len > 0) {
		ssize_t n = write(fd, p, len);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return mlreg_error_os("cannot write '%s'", what);
		}
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

ssize_t mlreg_read_retry(int fd, void *buf, size_t len)
{
	ssize_t n;

	do
		n = read(fd, buf, len);
	while (n < 0 && errno == EINTR);
	return n;
}

long mlreg_env_long(const char *name, long lo, long hi, long dflt)
{
	const char *s = getenv(name);
	char *end;
	long v;

	if (!s || !*s)
		return dflt;
	v = strtol(s, &end, 10);
	return *end || v < lo || v > hi ? dflt : v;
}
