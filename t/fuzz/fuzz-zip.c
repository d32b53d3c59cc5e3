/* libFuzzer target for the zip-based formats (Keras, PyTorch zip, npz) (see harness.h). */
#define FUZZ_FN mlreg_inspect_zip
#define FUZZ_NAME "model.keras"
#include "harness.h"
