/* libFuzzer target for the pickle opcode walker (see harness.h). */
#define FUZZ_FN mlreg_inspect_pickle
#define FUZZ_NAME "model.pkl"
#include "harness.h"
