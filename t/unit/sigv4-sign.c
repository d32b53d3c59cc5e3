/*
 * Signs requests read from stdin with lib/remote/s3/sigv4.c and prints one
 * Authorization value per request, for t/helpers/sigv4-check.py to compare
 * with botocore's.  The input is one field a line, "WORD VALUE", the value
 * being every byte after the first space (spaces and tabs included):
 *
 *	access AKID          credentials and scope, kept across requests
 *	secret SECRET
 *	region us-east-1
 *	service s3
 *	method GET           the request
 *	path /bucket/key     as sent, percent-encoded
 *	query a=1&uploads    as sent without '?'; absent is NULL
 *	header NAME VALUE    one per header, in order; VALUE may be empty
 *	payload HASH
 *	sign                 sign, print, and forget the request
 *
 * "sign" prints the Authorization value, or "error: MESSAGE"; with -c it
 * prints a second line, the canonical request with '\' written "\\" and
 * newlines "\n".  Empty lines and lines starting with '#' are skipped.
 * Exits 0, or 2 on input it cannot read.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "error.h"
#include "remote/s3/sigv4.h"
#include "util.h"

/* The request being read: owned copies of each field. */
struct request {
	char *method, *path, *query, *payload;
	struct mlreg_sigv4_header *h;
	size_t nh;
};

/* Frees the request's fields and empties it. */
static void request_clear(struct request *r)
{
	size_t i;

	free(r->method);
	free(r->path);
	free(r->query);
	free(r->payload);
	for (i = 0; i < r->nh; i++) {
		free((char *)r->h[i].name);
		free((char *)r->h[i].value);
	}
	free(r->h);
	memset(r, 0, sizeof(*r));
}

/* Replaces *field with a copy of value. */
static void set(char **field, const char *value)
{
	free(*field);
	*field = xstrdup(value);
}

/* Prints s on one line with '\' and newlines escaped. */
static void print_escaped(const char *s)
{
	for (; *s; s++) {
		if (*s == '\\')
			fputs("\\\\", stdout);
		else if (*s == '\n')
			fputs("\\n", stdout);
		else
			putchar(*s);
	}
	putchar('\n');
}

/* Signs r with key and prints the result (and the canonical request). */
static void sign(const struct request *r, const struct mlreg_sigv4_key *key,
		 int canonical)
{
	char *authz = NULL, *creq = NULL;

	if (mlreg_sigv4_sign(&authz, key, r->method, r->path, r->query, r->h,
			     r->nh, r->payload) < 0)
		printf("error: %s\n", mlreg_error_message());
	else
		printf("%s\n", authz);
	if (canonical) {
		if (mlreg_sigv4_canonical_request(&creq, r->method, r->path,
						  r->query, r->h, r->nh,
						  r->payload) < 0)
			printf("error: %s\n", mlreg_error_message());
		else
			print_escaped(creq);
	}
	free(authz);
	free(creq);
}

int main(int argc, char **argv)
{
	char *access = NULL, *secret = NULL, *region = NULL, *service = NULL;
	struct request r = { 0 };
	struct mlreg_sigv4_key key;
	char *line = NULL;
	size_t cap = 0;
	ssize_t len;
	long lineno = 0;
	int canonical = argc > 1 && !strcmp(argv[1], "-c"), status = 0;

	while ((len = getline(&line, &cap, stdin)) >= 0) {
		char *word = line, *value;

		lineno++;
		if (len > 0 && line[len - 1] == '\n')
			line[--len] = '\0';
		if (!*line || *line == '#')
			continue;
		value = strchr(line, ' ');
		if (value)
			*value++ = '\0';
		else
			value = line + len;
		if (!strcmp(word, "access")) {
			set(&access, value);
		} else if (!strcmp(word, "secret")) {
			set(&secret, value);
		} else if (!strcmp(word, "region")) {
			set(&region, value);
		} else if (!strcmp(word, "service")) {
			set(&service, value);
		} else if (!strcmp(word, "method")) {
			set(&r.method, value);
		} else if (!strcmp(word, "path")) {
			set(&r.path, value);
		} else if (!strcmp(word, "query")) {
			set(&r.query, value);
		} else if (!strcmp(word, "payload")) {
			set(&r.payload, value);
		} else if (!strcmp(word, "header")) {
			char *hvalue = strchr(value, ' ');

			if (hvalue)
				*hvalue++ = '\0';
			else
				hvalue = value + strlen(value);
			r.h = xrealloc(r.h, (r.nh + 1) * sizeof(*r.h));
			r.h[r.nh].name = xstrdup(value);
			r.h[r.nh].value = xstrdup(hvalue);
			r.nh++;
		} else if (!strcmp(word, "sign")) {
			key.access_key = access;
			key.secret_key = secret;
			key.region = region;
			key.service = service;
			sign(&r, &key, canonical);
			request_clear(&r);
		} else {
			fprintf(stderr,
				"sigv4-sign: line %ld: unknown field '%s'\n",
				lineno, word);
			status = 2;
			break;
		}
	}
	fflush(stdout);
	request_clear(&r);
	free(line);
	free(access);
	if (secret) {
		memset(secret, 0, strlen(secret));
		free(secret);
	}
	free(region);
	free(service);
	return status;
}
