/* libFuzzer target for the GGUF parser (see harness.h). */
#define FUZZ_FN mlreg_inspect_gguf
#define FUZZ_NAME "model.gguf"
#include "harness.h"
