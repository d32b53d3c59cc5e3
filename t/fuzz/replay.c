/*
 * Replays the kept fuzz inputs: for each directory t/fuzz/corpus/<format>/
 * given on the command line, every file goes through that format's parser
 * and through the dispatcher, printing one TAP line per file; the "xml"
 * directory goes through the XML reader of S3 answers instead, with every
 * element of an accepted document walked, "packidx" through the pack
 * index parser, and "record" and "spec" through the very bodies of their
 * fuzz targets (readers.h).  A parser that crashes kills the
 * run, which prove reports.  Built by 'make test'.
 */
#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "error.h"
#include "fs.h"
#include "inspect/inspect-int.h"
#include "remote/pack.h"
#include "util.h"
#include "remote/s3/xml.h"

#include "readers.h"

static const struct {
	const char *format;	/* corpus directory name */
	int (*fn)(cJSON **out, const struct mlreg_src *src);
	const char *name;	/* file name shown to the parser */
} parsers[] = {
	{ "gguf", mlreg_inspect_gguf, "model.gguf" },
	{ "hdf5", mlreg_inspect_hdf5, "model.h5" },
	{ "npy", mlreg_inspect_npy, "array.npy" },
	{ "onnx", mlreg_inspect_onnx, "model.onnx" },
	{ "pickle", mlreg_inspect_pickle, "model.pkl" },
	{ "safetensors", mlreg_inspect_safetensors, "model.safetensors" },
	{ "savedmodel", mlreg_inspect_savedmodel, "saved_model.pb" },
	{ "zip", mlreg_inspect_zip, "model.keras" },
};

static int tests;

static void replay_file(size_t p, const char *path)
{
	struct mlreg_src src = { -1, NULL, 0, parsers[p].name };
	struct stat st;
	cJSON *out = NULL;
	int rc;

	src.fd = open(path, O_RDONLY);
	if (src.fd < 0 || fstat(src.fd, &st) < 0) {
		printf("not ok %d - cannot open %s\n", ++tests, path);
		return;
	}
	src.size = (uint64_t)st.st_size;
	rc = parsers[p].fn(&out, &src);
	cJSON_Delete(out);
	out = NULL;
	mlreg_inspect(&out, &src);
	cJSON_Delete(out);
	close(src.fd);
	printf("ok %d - %s: %s %s\n", ++tests, parsers[p].format, path,
	       rc < 0 ? "(rejected)" : "(accepted)");
}

/* Returns the number of elements at and below n, reading every name and text. */
static size_t xml_walk(mlreg_xml_node *n)
{
	mlreg_xml_node *c;
	size_t count = 1;

	(void)strlen(mlreg_xml_name(n));
	(void)strlen(mlreg_xml_text(n));
	for (c = mlreg_xml_child(n, NULL); c; c = mlreg_xml_next(c, NULL))
		count += xml_walk(c);
	return count;
}

/* The corpora replayed through a fuzz target's body (readers.h). */
static const struct {
	const char *name;
	void (*fn)(const uint8_t *data, size_t size);
} bodies[] = {
	{ "record", fuzz_record },
	{ "spec", fuzz_spec },
};

/* Replays one file through body b. */
static void replay_body(size_t b, const char *path)
{
	char *buf;
	size_t len;

	if (mlreg_fs_read_file(&buf, &len, path, (size_t)64 << 20, path) < 0) {
		printf("not ok %d - cannot read %s\n", ++tests, path);
		return;
	}
	bodies[b].fn((const uint8_t *)buf, len);
	free(buf);
	printf("ok %d - %s: %s\n", ++tests, bodies[b].name, path);
}

/* Replays one file through mlreg_xml_parse() (packidx 0) or the pack index parser. */
static void replay_raw(const char *path, int packidx)
{
	struct mlreg_xml *doc = NULL;
	struct mlreg_pack_index idx;
	char *buf;
	size_t len;
	int rc;

	if (mlreg_fs_read_file(&buf, &len, path, (size_t)64 << 20, path) < 0) {
		printf("not ok %d - cannot read %s\n", ++tests, path);
		return;
	}
	if (packidx) {
		rc = mlreg_pack_index_parse(&idx, buf, len, NULL);
		mlreg_pack_index_free(&idx);
	} else {
		rc = mlreg_xml_parse(&doc, buf, len);
		if (rc == 0)
			xml_walk(mlreg_xml_root(doc));
		mlreg_xml_free(doc);
	}
	free(buf);
	printf("ok %d - %s: %s %s\n", ++tests, packidx ? "packidx" : "xml", path,
	       rc < 0 ? "(rejected)" : "(accepted)");
}

int main(int argc, char **argv)
{
	int i;

	for (i = 1; i < argc; i++) {
		const char *dir = argv[i], *base = strrchr(dir, '/');
		struct dirent **names;
		size_t p, b;
		int n, k, xml, packidx;

		base = base ? base + 1 : dir;
		packidx = !strcmp(base, "packidx");
		xml = packidx || !strcmp(base, "xml");
		for (p = 0; p < sizeof(parsers) / sizeof(parsers[0]); p++)
			if (!strcmp(parsers[p].format, base))
				break;
		for (b = 0; b < sizeof(bodies) / sizeof(bodies[0]); b++)
			if (!strcmp(bodies[b].name, base))
				break;
		if (!xml && p == sizeof(parsers) / sizeof(parsers[0]) &&
		    b == sizeof(bodies) / sizeof(bodies[0]))
			continue;
		n = scandir(dir, &names, NULL, alphasort);
		for (k = 0; k < n; k++) {
			if (names[k]->d_name[0] != '.') {
				char *path = xasprintf("%s/%s", dir, names[k]->d_name);
				if (xml)
					replay_raw(path, packidx);
				else if (b < sizeof(bodies) / sizeof(bodies[0]))
					replay_body(b, path);
				else
					replay_file(p, path);
				free(path);
			}
			free(names[k]);
		}
		if (n >= 0)
			free(names);
	}
	printf("1..%d\n", tests);
	return 0;
}
