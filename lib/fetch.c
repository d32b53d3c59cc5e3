/*
 * A bounded HTTP(S) GET through libcurl's easy interface.
 */
#include <stdlib.h>
#include <string.h>

#include <curl/curl.h>

#include "curl-dl.h"

#include "error.h"
#include "fetch.h"
#include "redact.h"
#include "util.h"

struct body {
	struct mlreg_buf buf;
	size_t max;
	int too_big;
};

static size_t on_data(char *data, size_t size, size_t n, void *ctx)
{
	struct body *b = ctx;
	size_t add = size * n;

	if (b->buf.len + add > b->max) {
		b->too_big = 1;
		return 0;	/* stops the transfer */
	}
	mlreg_buf_add(&b->buf, data, add);
	return add;
}

int mlreg_fetch_url(char **out, size_t *len, const char *url, size_t max)
{
	struct body b = { MLREG_BUF_INIT, max, 0 };
	char errbuf[CURL_ERROR_SIZE] = "";
	char *shown = mlreg_redact_str(url, NULL);
	long status = 0;
	CURLcode rc;
	CURL *c;
	int err = 0;

	*out = NULL;
	curl_global_init(CURL_GLOBAL_DEFAULT);
	c = curl_easy_init();
	if (!c) {
		free(shown);
		return mlreg_error_set(MLREG_ERROR, "cannot start libcurl%s%s",
				       *mlreg_curl_error() ? ": " : "", mlreg_curl_error());
	}
	curl_easy_setopt(c, CURLOPT_URL, url);
	curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(c, CURLOPT_REDIR_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, 1L);
	curl_easy_setopt(c, CURLOPT_MAXREDIRS, 5L);
	curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT, 30L);
	curl_easy_setopt(c, CURLOPT_LOW_SPEED_LIMIT, 1L);
	curl_easy_setopt(c, CURLOPT_LOW_SPEED_TIME, 60L);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_data);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, &b);
	curl_easy_setopt(c, CURLOPT_ERRORBUFFER, errbuf);
	curl_easy_setopt(c, CURLOPT_USERAGENT, "mlreg/" MLREG_VERSION);
	curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	rc = curl_easy_perform(c);
	curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
	if (b.too_big)
		err = mlreg_error_set(MLREG_EINVALID, "'%s' is larger than %zu bytes", shown, max);
	else if (rc != CURLE_OK)
		err = mlreg_error_set(MLREG_EOS, "cannot fetch '%s': %s", shown,
				      errbuf[0] ? errbuf : curl_easy_strerror(rc));
	else if (status >= 400)
		err = mlreg_error_set(MLREG_EOS, "cannot fetch '%s': the server answered HTTP %ld",
				      shown, status);
	curl_easy_cleanup(c);
	free(shown);
	if (err) {
		mlreg_buf_release(&b.buf);
		return err;
	}
	*out = mlreg_buf_detach(&b.buf, len);
	return 0;
}
