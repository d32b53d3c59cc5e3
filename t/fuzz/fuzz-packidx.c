/*
 * libFuzzer target for the pack index parser (lib/remote/pack.h), which reads what
 * a remote serves.  An accepted index must keep the promises of pack.h: its
 * entries sorted, tiling the pack exactly, each found by its hash.  Any
 * crash, leak, sanitizer report or broken promise (an abort) is a bug.
 * Inputs worth keeping go to t/fuzz/corpus/packidx/, replayed by
 * t/fuzz/replay.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "error.h"
#include "remote/pack.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct mlreg_pack_index idx;
	uint64_t sum = 0;

	if (mlreg_pack_index_parse(&idx, (const char *)data, size, NULL) == 0) {
		for (size_t i = 0; i < idx.n; i++) {
			if (idx.v[i].off != sum || (i && strcmp(idx.v[i - 1].hex, idx.v[i].hex) >= 0) ||
			    mlreg_pack_index_find(&idx, idx.v[i].hex) != &idx.v[i])
				abort();
			sum += idx.v[i].size;
		}
		if (sum != idx.size)
			abort();
	} else if (idx.v || idx.n) {
		abort();
	}
	mlreg_pack_index_free(&idx);
	return 0;
}
