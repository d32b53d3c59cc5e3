/*
 * libFuzzer target for the version and model records a remote serves: the
 * input is parsed as download parses a remote record (a JSON object through
 * mlreg_doc_parse()), then checked by lib/registry.h's public functions, as
 * download checks it before anything is stored: mlreg_version_check(),
 * mlreg_files_check(), then shaped for output (mlreg_version_with_id(),
 * mlreg_model_public()).  What a check accepts must keep registry.h's
 * promises (every file path safe to write below a directory, every hash 64
 * hex digits, sizes whole and not negative); a broken promise aborts.  Any
 * crash, leak, hang or sanitizer report is a bug.  Inputs worth keeping go
 * to t/fuzz/corpus/record/, replayed by t/fuzz/replay (both through readers.h).
 */
#include "readers.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	fuzz_record(data, size);
	return 0;
}
