/* libFuzzer target for the HDF5 superblock reader (see harness.h). */
#define FUZZ_FN mlreg_inspect_hdf5
#define FUZZ_NAME "model.h5"
#include "harness.h"
