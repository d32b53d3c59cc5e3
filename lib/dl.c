/*
 * dlopen of a library by its soname and dlsym of a table of functions, for
 * the shims curl-dl.c and git-dl.c (dl.h says why and what is trusted).
 */
#include <dlfcn.h>
#include <stdio.h>

#include "dl.h"

int mlreg_dl_load(struct mlreg_dl *d)
{
	void *lib;
	size_t i;

	if (d->tried)
		return d->ok ? 0 : -1;
	d->tried = 1;
	if (!(lib = dlopen(d->soname, RTLD_NOW | RTLD_LOCAL))) {
		snprintf(d->why, sizeof(d->why), "cannot load %s (install %s): %s",
			 d->soname, d->package, dlerror());
		return -1;
	}
	for (i = 0; i < d->nsyms; i++) {
		if (!(*d->syms[i].ptr = dlsym(lib, d->syms[i].name))) {
			snprintf(d->why, sizeof(d->why), "%s has no %s: %s is needed",
				 d->soname, d->syms[i].name, d->need);
			dlclose(lib);
			return -1;
		}
	}
	d->ok = 1;
	return 0;
}
