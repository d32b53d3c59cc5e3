/*
 * libFuzzer target for the readers of the seed systems' files (lib/understand/spec.h):
 * each input is read as an MLX model spec (mlreg_mlx_validate(),
 * mlreg_mlx_kinds(), and the redaction of redact.h, which a second pass
 * must find nothing more to do in), as a Hydrosphere contract
 * (mlreg_contract_parse()), and, written to a scratch directory as
 * serving.yaml, runtime.yaml, score.py, input_schema.json and metadata.json,
 * through mlreg_understand() and mlreg_validate_files(): the ADS
 * introspection, the Determined checkpoint reader and the inspection of
 * every file.  Any crash, leak, hang, sanitizer report or broken promise
 * (an abort) is a bug.  Inputs worth keeping go to t/fuzz/corpus/spec/,
 * replayed by t/fuzz/replay (both through readers.h).
 */
#include "readers.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	fuzz_spec(data, size);
	return 0;
}
