/*
 * The libcurl functions mlreg calls, each loading libcurl.so.4 at the
 * first call and calling the real one (see curl-dl.h).  Single-threaded
 * use is assumed for the first call (curl_global_init, from the one thread
 * that opens a transport), as libcurl itself assumes for curl_global_init.
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

/* These definitions take the names typecheck-gcc.h would make macros. */
#define CURL_DISABLE_TYPECHECK 1
#include <curl/curl.h>

#include "curl-dl.h"
#include "dl.h"

#define SONAME "libcurl.so.4"

static struct {
	CURLcode (*global_init)(long);
	CURL *(*easy_init)(void);
	CURLcode (*easy_setopt)(CURL *, CURLoption, ...);
	CURLcode (*easy_getinfo)(CURL *, CURLINFO, ...);
	CURLcode (*easy_perform)(CURL *);
	void (*easy_cleanup)(CURL *);
	const char *(*easy_strerror)(CURLcode);
	struct curl_slist *(*slist_append)(struct curl_slist *, const char *);
	void (*slist_free_all)(struct curl_slist *);
	CURLM *(*multi_init)(void);
	CURLMcode (*multi_setopt)(CURLM *, CURLMoption, ...);
	CURLMcode (*multi_add_handle)(CURLM *, CURL *);
	CURLMcode (*multi_remove_handle)(CURLM *, CURL *);
	CURLMcode (*multi_perform)(CURLM *, int *);
	CURLMcode (*multi_poll)(CURLM *, struct curl_waitfd *, unsigned int, int, int *);
	CURLMsg *(*multi_info_read)(CURLM *, int *);
	CURLMcode (*multi_cleanup)(CURLM *);
	void (*free)(void *);
	CURLU *(*url)(void);
	void (*url_cleanup)(CURLU *);
	CURLUcode (*url_get)(CURLU *, CURLUPart, char **, unsigned int);
	CURLUcode (*url_set)(CURLU *, CURLUPart, const char *, unsigned int);
} api;

/* The functions mlreg calls: api's member NAME is libcurl's curl_NAME. */
#define SYM(name) { "curl_" #name, (void **)&api.name }
static const struct mlreg_dl_sym syms[] = {
	SYM(global_init), SYM(easy_init), SYM(easy_setopt), SYM(easy_getinfo),
	SYM(easy_perform), SYM(easy_cleanup), SYM(easy_strerror), SYM(slist_append),
	SYM(slist_free_all), SYM(multi_init), SYM(multi_setopt), SYM(multi_add_handle),
	SYM(multi_remove_handle), SYM(multi_perform), SYM(multi_poll), SYM(multi_info_read),
	SYM(multi_cleanup), SYM(free), SYM(url), SYM(url_cleanup), SYM(url_get), SYM(url_set)
};

static struct mlreg_dl lib = {
	.soname = SONAME, .package = "libcurl4", .need = "libcurl 7.66 or later",
	.syms = syms, .nsyms = sizeof(syms) / sizeof(syms[0]),
};

int mlreg_curl_load(void)
{
	return mlreg_dl_load(&lib);
}

const char *mlreg_curl_error(void)
{
	return lib.why;
}

CURLcode curl_global_init(long flags)
{
	return mlreg_curl_load() == 0 ? api.global_init(flags) : CURLE_FAILED_INIT;
}

CURL *curl_easy_init(void)
{
	return mlreg_curl_load() == 0 ? api.easy_init() : NULL;
}

/*
 * The one argument after option, read as the type the option's number says
 * (curl.h: CURLOPTTYPE_*; the same ranges for CURLMOPT_*), and passed on.
 */
#define PASS_OPTION(fn, handle, option, ap) \
	((option) < CURLOPTTYPE_OBJECTPOINT ? fn(handle, option, va_arg(ap, long)) : \
	 (option) < CURLOPTTYPE_FUNCTIONPOINT ? fn(handle, option, va_arg(ap, void *)) : \
	 (option) < CURLOPTTYPE_OFF_T ? fn(handle, option, va_arg(ap, void (*)(void))) : \
	 (option) < CURLOPTTYPE_BLOB ? fn(handle, option, va_arg(ap, curl_off_t)) : \
	 fn(handle, option, va_arg(ap, void *)))

CURLcode curl_easy_setopt(CURL *curl, CURLoption option, ...)
{
	CURLcode rc;
	va_list ap;

	if (mlreg_curl_load() < 0)
		return CURLE_FAILED_INIT;
	va_start(ap, option);
	rc = PASS_OPTION(api.easy_setopt, curl, option, ap);
	va_end(ap);
	return rc;
}

/* Every CURLINFO_* takes a pointer (to a string, long, double, list...). */
CURLcode curl_easy_getinfo(CURL *curl, CURLINFO info, ...)
{
	CURLcode rc;
	va_list ap;

	if (mlreg_curl_load() < 0)
		return CURLE_FAILED_INIT;
	va_start(ap, info);
	rc = api.easy_getinfo(curl, info, va_arg(ap, void *));
	va_end(ap);
	return rc;
}

CURLcode curl_easy_perform(CURL *curl)
{
	return mlreg_curl_load() == 0 ? api.easy_perform(curl) : CURLE_FAILED_INIT;
}

void curl_easy_cleanup(CURL *curl)
{
	if (mlreg_curl_load() == 0)
		api.easy_cleanup(curl);
}

const char *curl_easy_strerror(CURLcode code)
{
	return mlreg_curl_load() == 0 ? api.easy_strerror(code) : lib.why;
}

struct curl_slist *curl_slist_append(struct curl_slist *list, const char *s)
{
	return mlreg_curl_load() == 0 ? api.slist_append(list, s) : NULL;
}

void curl_slist_free_all(struct curl_slist *list)
{
	if (mlreg_curl_load() == 0)
		api.slist_free_all(list);
}

CURLM *curl_multi_init(void)
{
	return mlreg_curl_load() == 0 ? api.multi_init() : NULL;
}

CURLMcode curl_multi_setopt(CURLM *multi, CURLMoption option, ...)
{
	CURLMcode rc;
	va_list ap;

	if (mlreg_curl_load() < 0)
		return CURLM_INTERNAL_ERROR;
	va_start(ap, option);
	rc = PASS_OPTION(api.multi_setopt, multi, option, ap);
	va_end(ap);
	return rc;
}

CURLMcode curl_multi_add_handle(CURLM *multi, CURL *curl)
{
	return mlreg_curl_load() == 0 ? api.multi_add_handle(multi, curl) : CURLM_INTERNAL_ERROR;
}

CURLMcode curl_multi_remove_handle(CURLM *multi, CURL *curl)
{
	return mlreg_curl_load() == 0 ? api.multi_remove_handle(multi, curl)
				      : CURLM_INTERNAL_ERROR;
}

CURLMcode curl_multi_perform(CURLM *multi, int *running)
{
	return mlreg_curl_load() == 0 ? api.multi_perform(multi, running) : CURLM_INTERNAL_ERROR;
}

CURLMcode curl_multi_poll(CURLM *multi, struct curl_waitfd extra[], unsigned int n,
			  int timeout_ms, int *numfds)
{
	return mlreg_curl_load() == 0 ? api.multi_poll(multi, extra, n, timeout_ms, numfds)
				      : CURLM_INTERNAL_ERROR;
}

CURLMsg *curl_multi_info_read(CURLM *multi, int *left)
{
	return mlreg_curl_load() == 0 ? api.multi_info_read(multi, left) : NULL;
}

CURLMcode curl_multi_cleanup(CURLM *multi)
{
	return mlreg_curl_load() == 0 ? api.multi_cleanup(multi) : CURLM_INTERNAL_ERROR;
}

void curl_free(void *p)
{
	if (mlreg_curl_load() == 0)
		api.free(p);
}

CURLU *curl_url(void)
{
	return mlreg_curl_load() == 0 ? api.url() : NULL;
}

void curl_url_cleanup(CURLU *u)
{
	if (mlreg_curl_load() == 0)
		api.url_cleanup(u);
}

CURLUcode curl_url_get(CURLU *u, CURLUPart what, char **part, unsigned int flags)
{
	return mlreg_curl_load() == 0 ? api.url_get(u, what, part, flags) : CURLUE_BAD_HANDLE;
}

CURLUcode curl_url_set(CURLU *u, CURLUPart what, const char *part, unsigned int flags)
{
	return mlreg_curl_load() == 0 ? api.url_set(u, what, part, flags) : CURLUE_BAD_HANDLE;
}
