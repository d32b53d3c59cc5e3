/* libFuzzer target for the safetensors parser (see harness.h). */
#define FUZZ_FN mlreg_inspect_safetensors
#define FUZZ_NAME "model.safetensors"
#include "harness.h"
