/* libFuzzer target for the ONNX parser (see harness.h). */
#define FUZZ_FN mlreg_inspect_onnx
#define FUZZ_NAME "model.onnx"
#include "harness.h"
