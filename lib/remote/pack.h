/*
 * Pack indexes.  On a remote, small objects travel in pack files: the raw
 * bytes of many objects one after the other, named pack-H.pack where H is
 * the SHA-256 of the whole pack, each with an index pack-H.idx saying where
 * each object lies.  The index is text (store-format.md, section 11):
 *
 *	mlreg pack index 1
 *	pack H SIZE COUNT
 *	HEX OFFSET SIZE		(COUNT lines, HEX strictly increasing,
 *	...			 each OFFSET the sum of the sizes before it)
 *
 * so a pack holds its objects in index order with nothing between them,
 * and any object can be fetched alone with a ranged GET.
 */
#ifndef MLREG_PACK_H
#define MLREG_PACK_H

#include <stddef.h>
#include <stdint.h>

#include "util.h"

#define MLREG_PACK_MAX_OBJECT (1u << 20)	/* larger objects are stored loose */
#define MLREG_PACK_TARGET (32u << 20)		/* a pack stops growing past this */
#define MLREG_PACK_MAX_COUNT 200000u		/* nor holds more objects than this */
#define MLREG_PACK_IDX_MAX (64u << 20)		/* largest index read */

struct mlreg_pack_entry {
	char hex[MLREG_HEX_LEN + 1];	/* the object's SHA-256 */
	uint64_t off;			/* where its bytes start in the pack */
	uint64_t size;			/* how many there are */
};

struct mlreg_pack_index {
	char pack[MLREG_HEX_LEN + 1];	/* the pack's SHA-256, also in its name */
	uint64_t size;			/* the pack's length */
	struct mlreg_pack_entry *v;	/* sorted by hex */
	size_t n;
};

/*
 * Returns 0 and the parsed index in *out after checking it completely
 * (header, counts, order, offsets, total size, and that it describes pack
 * expect when expect is not NULL); MLREG_ECORRUPT with the reason otherwise.
 */
int mlreg_pack_index_parse(struct mlreg_pack_index *out, const char *buf, size_t len,
			   const char *expect);

/* Returns the text of index idx (malloc'd), its length in *len. */
char *mlreg_pack_index_format(const struct mlreg_pack_index *idx, size_t *len);

/* Returns the entry for object hex, or NULL. */
const struct mlreg_pack_entry *mlreg_pack_index_find(const struct mlreg_pack_index *idx,
						     const char *hex);

/* Frees the entries. */
void mlreg_pack_index_free(struct mlreg_pack_index *idx);

#endif
