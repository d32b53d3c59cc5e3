/*
 * Placeholder: the pickle parser is being written; until then files of this
 * format are registered without inspection.
 */
#include "error.h"
#include "inspect.h"

int mlreg_inspect_pickle(cJSON **out, const struct mlreg_src *src)
{
	*out = NULL;
	return 0;
}
