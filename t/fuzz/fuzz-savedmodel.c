/* libFuzzer target for the TensorFlow SavedModel parser (see harness.h). */
#define FUZZ_FN mlreg_inspect_savedmodel
#define FUZZ_NAME "saved_model.pb"
#include "harness.h"
