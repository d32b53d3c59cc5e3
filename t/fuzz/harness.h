/*
 * The libFuzzer harness shared by t/fuzz/fuzz-*.c: each file defines
 * FUZZ_FN (a parser of lib/inspect/inspect-int.h) and FUZZ_NAME (the file
 * name it is shown, which may steer detection), then includes this.  The
 * input is handed over as an in-memory source; any crash, leak, hang or
 * sanitizer report is a bug.  Inputs worth keeping go to
 * t/fuzz/corpus/<format>/ and are replayed by every 'make test'
 * (t/t4000-fuzz-replay.t).
 */
#include <stddef.h>
#include <stdint.h>

#include "error.h"
#include "inspect/inspect-int.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct mlreg_src src = { -1, data, size, FUZZ_NAME };
	cJSON *out = NULL;

	FUZZ_FN(&out, &src);
	cJSON_Delete(out);
	out = NULL;
	mlreg_inspect(&out, &src);	/* the dispatcher too */
	cJSON_Delete(out);
	return 0;
}
