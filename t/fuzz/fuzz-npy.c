/* libFuzzer target for the NumPy .npy parser (see harness.h). */
#define FUZZ_FN mlreg_inspect_npy
#define FUZZ_NAME "array.npy"
#include "harness.h"
