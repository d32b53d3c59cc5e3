/*
 * libFuzzer target for the XML reader of S3 answers (lib/remote/s3/xml.h).  It does
 * not use harness.h, which is for the model parsers: each input is parsed,
 * and when it is accepted every element is walked, checking what xml.h
 * promises (names non-empty, text never NULL, lookups by name finding the
 * element, nesting within bounds), then freed.  Any crash, leak, hang,
 * sanitizer report or broken promise (an abort) is a bug.  Inputs worth
 * keeping go to t/fuzz/corpus/xml/ and are replayed by t/fuzz/replay.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "error.h"
#include "remote/s3/xml.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Returns the number of elements at and below n, aborting on a broken promise. */
static size_t walk(mlreg_xml_node *n, int depth)
{
	mlreg_xml_node *c;
	size_t count = 1;

	if (depth > MLREG_XML_MAX_DEPTH || !mlreg_xml_name(n) || !*mlreg_xml_name(n) ||
	    strchr(mlreg_xml_name(n), ':') || !mlreg_xml_text(n))
		abort();
	(void)strlen(mlreg_xml_text(n));
	for (c = mlreg_xml_child(n, NULL); c; c = mlreg_xml_next(c, NULL)) {
		const char *name = mlreg_xml_name(c);
		mlreg_xml_node *first = mlreg_xml_child(n, name);

		/* The first child of that name comes no later than c, and has its name. */
		if (!first || strcmp(mlreg_xml_name(first), name) ||
		    mlreg_xml_child_text(n, name) != mlreg_xml_text(first))
			abort();
		count += walk(c, depth + 1);
	}
	return count;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct mlreg_xml *doc = NULL;
	int rc = mlreg_xml_parse(&doc, (const char *)data, size);

	if (rc == 0) {
		mlreg_xml_node *root = mlreg_xml_root(doc);
		if (!root || mlreg_xml_next(root, NULL) ||
		    walk(root, 1) > MLREG_XML_MAX_ELEMENTS)
			abort();
	} else if (doc || rc != MLREG_EINVALID ||
		   strncmp(mlreg_error_message(), "malformed XML at byte ", 22)) {
		abort();
	}
	mlreg_xml_free(doc);
	return 0;
}
