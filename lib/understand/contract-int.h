/*
 * What the readers of Hydrosphere's files share, private to them: the
 * definition reader (contract.c: the layouts, kind: Model and the rest,
 * payloads and the files a definition names) reads a definition's
 * contract with the signature reader (contract-fields.c: Hydrosphere's
 * type and profile vocabulary, FIELDs, signatures) or, for a contract in
 * protobuf text format, with contract-prototxt.c, which takes its
 * vocabulary from contract-fields.c too.  Nothing outside these three
 * files includes this header; seed.h is the family's, and
 * mlreg_contract_read() the entry to all three.
 *
 * Every reader notes its findings in r->n at the levels contract.c's
 * opening comment lists, and returns NULL (or MLREG_EINVALID) only after a
 * refusal it has noted.
 */
#ifndef MLREG_CONTRACT_INT_H
#define MLREG_CONTRACT_INT_H

#include <cjson/cJSON.h>

#include "seed.h"

/* What a contract is read with. */
struct mlreg_contract_reader {
	struct mlreg_seed_notes *n;
	const struct mlreg_contract_files *files;
	const cJSON *profile_types;	/* the definition's profileTypes mapping, or NULL */
};

/* The types Hydrosphere reads, as messages list them. */
#define MLREG_CONTRACT_TYPE_LIST "half, float16, float, float32, double, float64, " \
	"bfloat16, complex64, complex128, int8..int64, uint8..uint64, bool, string, " \
	"bytes, qint8, qint16, qint32, quint8, quint16, resource, variant, any, map, " \
	"or their DT_ names"

/*
 * contract-fields.c: returns the canonical dtype of a spelling of a type
 * (any case, DT_ prefix or not), or NULL.
 */
const char *mlreg_contract_type(const char *s);

/*
 * contract-fields.c: returns the profile to record for field (a new
 * string: one of Hydrosphere's profiles in lower case, "none" for an
 * unknown one), or NULL when none is given (prof NULL and no
 * r->profile_types entry) or after a refusal; path names prof in notes.
 */
cJSON *mlreg_contract_profile(struct mlreg_contract_reader *r, const cJSON *prof,
			      const char *field, const char *path);

/*
 * contract-fields.c: returns 1 when a contract mapping holds one signature
 * (2.x), 0 for a map of them (0.1).
 */
int mlreg_contract_single_signature(const cJSON *c);

/*
 * contract-fields.c: returns the signatures of a contract mapping (either
 * form; path names it in notes), or NULL after a refusal.
 */
cJSON *mlreg_contract_map(struct mlreg_contract_reader *r, const cJSON *c, const char *path);

/* contract-prototxt.c: returns 1 when path names a contract in protobuf text format. */
int mlreg_contract_textproto_name(const char *path);

/* contract-prototxt.c: returns 1 when path names a binary protobuf contract. */
int mlreg_contract_binary_name(const char *path);

/*
 * contract-prototxt.c: reads the protobuf text contract at path (shown as
 * shown); returns 0 and its signatures, or MLREG_EINVALID after a refusal
 * noted in r->n.
 */
int mlreg_contract_read_textproto(cJSON **sigs, struct mlreg_contract_reader *r,
				  const char *path, const char *shown);

#endif
