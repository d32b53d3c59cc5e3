/*
 * Replays the kept fuzz inputs: for each directory t/fuzz/corpus/<format>/
 * given on the command line, every file goes through that format's parser
 * and through the dispatcher, printing one TAP line per file.  A parser
 * that crashes kills the run, which prove reports.  Built by 'make test'.
 */
#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "error.h"
#include "inspect.h"
#include "util.h"

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

int main(int argc, char **argv)
{
	int i;

	for (i = 1; i < argc; i++) {
		const char *dir = argv[i], *base = strrchr(dir, '/');
		struct dirent **names;
		size_t p;
		int n, k;

		base = base ? base + 1 : dir;
		for (p = 0; p < sizeof(parsers) / sizeof(parsers[0]); p++)
			if (!strcmp(parsers[p].format, base))
				break;
		if (p == sizeof(parsers) / sizeof(parsers[0]))
			continue;
		n = scandir(dir, &names, NULL, alphasort);
		for (k = 0; k < n; k++) {
			if (names[k]->d_name[0] != '.') {
				char *path = xasprintf("%s/%s", dir, names[k]->d_name);
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
