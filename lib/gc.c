/*
 * mlreg gc (see gc.h for the rules and store-format.md, "Garbage
 * collection", for the protocol).  In order, holding the gc lock exclusive
 * unless it is a dry run:
 *   1. read every record of every model directory, adding the sha256 of
 *      each file to the referenced set, but for the leftovers: records
 *      above latest_version not modified after the prune time (an
 *      interrupted registration's; no registration is in flight, the gc
 *      lock says so) and dead temporary records; only once every record
 *      was read, remove those leftovers, each model's under its lock;
 *   2. sort the set; walk objects/XX/: an object not in it is removed when
 *      it was not modified after the prune time, else kept; an objects/XX
 *      left empty is removed (install() in object.c makes it again);
 *   3. remove tmp/'s dead temporary files.
 * A record that cannot be read stops step 1 before anything is deleted
 * from objects/: the referenced set would be incomplete.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "doc.h"
#include "error.h"
#include "fs.h"
#include "gc.h"
#include "object.h"
#include "registry.h"
#include "util.h"

#define TMP_GRACE_S 60	/* section 2's rule for temporary files: unlocked, a minute */
#define DAY_S (24L * 3600)

/* The referenced set: binary hashes, sorted and unique once collected. */
struct refs {
	unsigned char (*v)[MLREG_HASH_LEN];
	size_t n, cap;
};

/* Returns memcmp()'s order of two binary hashes, for qsort() and bsearch(). */
static int cmp_hash(const void *a, const void *b)
{
	return memcmp(a, b, MLREG_HASH_LEN);
}

/* Returns 1 when t (an mtime) is after the prune time, or pruning is off. */
static int is_recent(const struct mlreg_gc_opts *o, const struct timespec *t)
{
	if (o->never)
		return 1;
	return t->tv_sec > o->prune.tv_sec ||
	       (t->tv_sec == o->prune.tv_sec && t->tv_nsec > o->prune.tv_nsec);
}

/* Returns 1 when name is "N.json", N a version number (no leading zero), with N in *n. */
static int record_name(const char *name, long *n)
{
	char *end;

	if (name[0] < '1' || name[0] > '9')
		return 0;
	errno = 0;
	*n = strtol(name, &end, 10);
	return errno == 0 && !strcmp(end, ".json");
}

/*
 * Returns 0 after adding the sha256 of every file of the record at path
 * (shown as what) to refs; MLREG_ECORRUPT when it cannot be read as a
 * record with a well-formed files list.  A record that vanished (a dry run
 * or fsck races a writer) references nothing.
 */
static int add_record(struct refs *refs, const char *path, const char *what)
{
	const cJSON *files, *list, *f;
	cJSON *rec = NULL;
	char *buf;
	size_t len;
	int err;

	err = mlreg_fs_read_file(&buf, &len, path, MLREG_RECORD_MAX, what);
	if (err == MLREG_ENOTFOUND) {
		mlreg_error_clear();
		return 0;
	}
	if (err < 0)
		return mlreg_error_set(MLREG_ECORRUPT, "cannot collect garbage: %s; run 'mlreg fsck'",
				       mlreg_error_message());
	err = mlreg_doc_parse_record(&rec, buf, len, what);
	free(buf);
	if (err < 0)
		return mlreg_error_set(MLREG_ECORRUPT, "cannot collect garbage: '%s' is not a valid "
				       "record (%s); run 'mlreg fsck'", what, mlreg_error_message());
	files = cJSON_GetObjectItemCaseSensitive(rec, "files");
	/* A tombstone (a deleted version) has no files, or files []. */
	if (files && !cJSON_IsNull(files) && !cJSON_IsArray(files))
		err = mlreg_error_set(MLREG_ECORRUPT, "cannot collect garbage: '%s' has a files "
				      "member that is not a list; run 'mlreg fsck'", what);
	list = cJSON_IsArray(files) ? files : NULL;
	cJSON_ArrayForEach(f, list) {
		const cJSON *h = cJSON_GetObjectItemCaseSensitive(f, "sha256");
		if (!cJSON_IsString(h) || !mlreg_is_hex64(h->valuestring)) {
			err = mlreg_error_set(MLREG_ECORRUPT, "cannot collect garbage: '%s' lists a "
					      "file without a valid sha256; run 'mlreg fsck'", what);
			break;
		}
		MLREG_ALLOC_GROW(refs->v, refs->n + 1, refs->cap);
		(void)mlreg_unhex64(refs->v[refs->n++], h->valuestring);
	}
	cJSON_Delete(rec);
	return err;
}

/*
 * Sets *latest to the latest_version of the model record at path; to -1
 * (every record counts) when there is no readable record: an interrupted
 * create, or a record fsck will report.
 */
static void read_latest(long *latest, const char *path)
{
	cJSON *rec = NULL;
	char *buf;
	size_t len;

	*latest = -1;
	if (mlreg_fs_read_file(&buf, &len, path, MLREG_RECORD_MAX, path) < 0) {
		mlreg_error_clear();
		return;
	}
	if (mlreg_doc_parse_record(&rec, buf, len, path) == 0 &&
	    cJSON_IsNumber(cJSON_GetObjectItemCaseSensitive(rec, "latest_version")))
		*latest = (long)mlreg_doc_int(rec, "latest_version", -1);
	mlreg_error_clear();
	free(buf);
	cJSON_Delete(rec);
}

/* Returns 1 when name is a record's temporary file, "N.json.tmp-XXXXXX". */
static int record_tmp_name(const char *name)
{
	const char *t = strstr(name, ".json.tmp-");
	long n;
	char *head;
	int ok;

	if (!t)
		return 0;
	head = xstrndup(name, (size_t)(t - name) + 5);
	ok = record_name(head, &n);
	free(head);
	return ok;
}

/*
 * Returns 0 after step 1 for the model directory enc (see the top), in two
 * passes.  The first (remove 0) adds the references of every record but
 * the leftovers (records above latest_version not modified after the prune
 * time, dead temporary records), which it counts with o->dry_run, and
 * otherwise notes in *leftovers; it removes nothing, so a corrupt record
 * met later leaves the store as it was.  The second (remove 1), once every
 * model's records were read, removes the leftovers under the model's lock,
 * checking each again there.
 */
static int scan_model(struct mlreg_store *store, const char *enc, const struct mlreg_gc_opts *o,
		      struct mlreg_gc_result *r, struct refs *refs, int remove, int *leftovers)
{
	char *dir = mlreg_store_path(store, "models/%s", enc);
	char *vdir = xasprintf("%s/versions", dir);
	char *mpath = xasprintf("%s/model.json", dir);
	struct mlreg_lock lk = { 0 };
	struct dirent *de;
	long latest;
	int vfd = -1, err = 0;
	DIR *d = NULL;

	if (remove && access(mpath, F_OK) == 0 &&
	    (err = mlreg_lock_acquire(&lk, mpath, mlreg_lock_timeout())) < 0)
		goto done;
	read_latest(&latest, mpath);
	if (!(d = opendir(vdir))) {
		if (errno != ENOENT && errno != ENOTDIR)
			err = mlreg_error_os("cannot read '%s'", vdir);
		goto done;
	}
	vfd = dirfd(d);
	while ((de = readdir(d)) != NULL) {
		int count = remove || o->dry_run;
		struct stat st;
		uint64_t size;
		long n;

		if (record_tmp_name(de->d_name)) {
			/* mlreg_fs_write_atomic()'s, of a writer that died under the lock */
			if (mlreg_fs_stale(vfd, de->d_name, TMP_GRACE_S, remove, &size)) {
				*leftovers = 1;
				if (count) {
					r->temporary.count++;
					r->temporary.bytes += size;
				}
			}
			continue;
		}
		if (!record_name(de->d_name, &n))
			continue;
		if (latest >= 0 && n > latest &&
		    fstatat(vfd, de->d_name, &st, AT_SYMLINK_NOFOLLOW) == 0 && S_ISREG(st.st_mode) &&
		    !is_recent(o, &st.st_mtim)) {
			/* An interrupted registration's: invisible, and nobody is writing it. */
			*leftovers = 1;
			if (remove && unlinkat(vfd, de->d_name, 0) < 0)
				continue;
			if (count) {
				r->temporary.count++;
				r->temporary.bytes += (uint64_t)st.st_size;
			}
			continue;
		}
		if (remove)
			continue;
		{
			char *path = xasprintf("%s/%s", vdir, de->d_name);
			char *what = xasprintf("models/%s/versions/%s", enc, de->d_name);
			err = add_record(refs, path, what);
			free(path);
			free(what);
		}
		if (err < 0)
			break;
	}
done:
	if (d)
		closedir(d);
	mlreg_lock_release(&lk);
	free(dir);
	free(vdir);
	free(mpath);
	return err;
}

/* Returns 0 after step 1 over every model directory, refs sorted and unique. */
static int collect(struct mlreg_store *store, const struct mlreg_gc_opts *o,
		   struct mlreg_gc_result *r, struct refs *refs)
{
	char *root = mlreg_store_path(store, "models");
	char **stale = NULL;	/* the models with leftovers, for the second pass */
	size_t nstale = 0, capstale = 0, i, k;
	struct dirent *de;
	DIR *d = opendir(root);
	int err = 0;

	if (!d) {
		err = mlreg_error_os("cannot read '%s'", root);
		free(root);
		return err;
	}
	while ((de = readdir(d)) != NULL) {
		int leftovers = 0;

		if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
			continue;
		if ((err = scan_model(store, de->d_name, o, r, refs, 0, &leftovers)) < 0)
			break;
		if (leftovers && !o->dry_run) {
			MLREG_ALLOC_GROW(stale, nstale + 1, capstale);
			stale[nstale++] = xstrdup(de->d_name);
		}
	}
	closedir(d);
	free(root);
	for (i = 0; i < nstale; i++) {
		int leftovers = 0;
		if (!err)
			err = scan_model(store, stale[i], o, r, refs, 1, &leftovers);
		free(stale[i]);
	}
	free(stale);
	if (err < 0)
		return err;
	if (refs->n)
		qsort(refs->v, refs->n, sizeof(*refs->v), cmp_hash);
	for (i = 0, k = 0; i < refs->n; i++) {
		if (k > 0 && !memcmp(refs->v[k - 1], refs->v[i], MLREG_HASH_LEN))
			continue;
		if (k != i)
			memcpy(refs->v[k], refs->v[i], MLREG_HASH_LEN);
		k++;
	}
	refs->n = k;
	return 0;
}

/* Returns 1 when s is exactly n lowercase hex digits. */
static int is_lower_hex(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f')))
			return 0;
	return s[n] == '\0';
}

/* Returns 0 after step 2 in the directory objects/xx open at dfd. */
static int sweep_dir(int dfd, const char *xx, const struct mlreg_gc_opts *o,
		     struct mlreg_gc_result *r, const struct refs *refs, int *removed)
{
	DIR *d = fdopendir(dfd);
	struct dirent *de;
	int err = 0;

	if (!d) {
		close(dfd);
		return mlreg_error_os("cannot read 'objects/%s'", xx);
	}
	while ((de = readdir(d)) != NULL) {
		char hex[MLREG_HEX_LEN + 1];
		unsigned char bin[MLREG_HASH_LEN];
		struct stat st;

		if (!is_lower_hex(de->d_name, MLREG_HEX_LEN - 2))
			continue;	/* not an object: fsck reports it */
		memcpy(hex, xx, 2);
		memcpy(hex + 2, de->d_name, MLREG_HEX_LEN - 2 + 1);
		(void)mlreg_unhex64(bin, hex);
		if (refs->n && bsearch(bin, refs->v, refs->n, sizeof(*refs->v), cmp_hash))
			continue;
		/* A link or anything but a regular file is neither followed nor removed. */
		if (fstatat(dfd, de->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0 || !S_ISREG(st.st_mode))
			continue;
		if (is_recent(o, &st.st_mtim)) {
			r->kept_recent.count++;
			r->kept_recent.bytes += (uint64_t)st.st_size;
			continue;
		}
		if (!o->dry_run && unlinkat(dfd, de->d_name, 0) < 0) {
			if (errno == ENOENT)
				continue;
			err = mlreg_error_os("cannot remove object %s", hex);
			break;
		}
		r->objects.count++;
		r->objects.bytes += (uint64_t)st.st_size;
		(*removed)++;
		if (o->object)
			o->object(o->ctx, hex, (uint64_t)st.st_size);
	}
	closedir(d);
	return err;
}

/* Returns 0 after step 2 over objects/. */
static int sweep(struct mlreg_store *store, const struct mlreg_gc_opts *o,
		 struct mlreg_gc_result *r, const struct refs *refs)
{
	char *root = mlreg_store_path(store, "objects");
	int fd = open(root, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC), err = 0;
	struct dirent *de;
	DIR *d;

	if (fd < 0 || !(d = fdopendir(fd))) {
		err = mlreg_error_os("cannot read '%s'", root);
		if (fd >= 0)
			close(fd);
		free(root);
		return err;
	}
	while ((de = readdir(d)) != NULL) {
		int sub, removed = 0;

		if (!is_lower_hex(de->d_name, 2))
			continue;
		/* objects/XX as a link is not followed (ELOOP or ENOTDIR). */
		sub = openat(fd, de->d_name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		if (sub < 0)
			continue;
		if ((err = sweep_dir(sub, de->d_name, o, r, refs, &removed)) < 0)
			break;
		if (removed && !o->dry_run)
			unlinkat(fd, de->d_name, AT_REMOVEDIR);	/* fails when not empty */
	}
	closedir(d);
	free(root);
	return err;
}

/*
 * Counts (and unless dry, removes) the files of import's directory name in
 * tmp/ (open at tfd) and the directory, when the directory and each file
 * are a dead writer's: unchanged for a minute, files unlocked; anything but
 * a regular file inside leaves it alone.
 */
static void sweep_import(int tfd, const char *name, const struct mlreg_gc_opts *o,
			 struct mlreg_gc_result *r)
{
	int fd = openat(tfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	struct dirent *de;
	struct stat st;
	int clean = 1;
	DIR *d;

	if (fd < 0)
		return;
	if (fstat(fd, &st) < 0 || (long long)time(NULL) - (long long)st.st_mtime <= TMP_GRACE_S ||
	    !(d = fdopendir(fd))) {
		close(fd);
		return;
	}
	while ((de = readdir(d)) != NULL) {
		uint64_t size;

		if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
			continue;
		if (mlreg_fs_stale(fd, de->d_name, TMP_GRACE_S, !o->dry_run, &size)) {
			r->temporary.count++;
			r->temporary.bytes += size;
		} else {
			clean = 0;
		}
	}
	closedir(d);
	if (clean && !o->dry_run)
		unlinkat(tfd, name, AT_REMOVEDIR);
}

/* Returns 0 after step 3: tmp/obj-*, tmp/import-* and tmp/batch-* of dead writers. */
static int sweep_tmp(struct mlreg_store *store, const struct mlreg_gc_opts *o,
		     struct mlreg_gc_result *r)
{
	char *root = mlreg_store_path(store, "tmp");
	int fd = open(root, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC), err = 0;
	struct dirent *de;
	DIR *d;

	if (fd < 0 && errno == ENOENT) {
		free(root);
		return 0;
	}
	if (fd < 0 || !(d = fdopendir(fd))) {
		err = mlreg_error_os("cannot read '%s'", root);
		if (fd >= 0)
			close(fd);
		free(root);
		return err;
	}
	while ((de = readdir(d)) != NULL) {
		uint64_t size;

		if (!strncmp(de->d_name, "obj-", 4)) {
			if (mlreg_fs_stale(fd, de->d_name, TMP_GRACE_S, !o->dry_run, &size)) {
				r->temporary.count++;
				r->temporary.bytes += size;
			}
		} else if (!strncmp(de->d_name, "import-", 7)) {
			sweep_import(fd, de->d_name, o, r);
		} else if (!strncmp(de->d_name, "batch-", 6)) {
			mlreg_object_sweep_batch(fd, de->d_name, TMP_GRACE_S, o->dry_run,
						 &r->temporary.count, &r->temporary.bytes);
		}
	}
	closedir(d);
	free(root);
	return err;
}

int mlreg_gc(struct mlreg_store *store, const struct mlreg_gc_opts *o,
	     struct mlreg_gc_result *r)
{
	struct refs refs = { NULL, 0, 0 };
	int lock = -1, err;

	memset(r, 0, sizeof(*r));
	if (!o->dry_run && (lock = mlreg_object_lock(store, 1, mlreg_lock_timeout())) < 0)
		return lock;
	if ((err = collect(store, o, r, &refs)) == 0 && (err = sweep(store, o, r, &refs)) == 0)
		err = sweep_tmp(store, o, r);
	mlreg_object_unlock(lock);
	free(refs.v);
	return err;
}

int mlreg_gc_unreferenced(const struct mlreg_store *store, struct mlreg_gc_count *out)
{
	struct mlreg_gc_opts o = { 0 };
	struct mlreg_gc_result r;
	struct refs refs = { NULL, 0, 0 };
	/*
	 * A dry run that prunes nothing (it writes nothing, so the store may
	 * be const): what it keeps is what nothing names.
	 */
	struct mlreg_store *s = (struct mlreg_store *)store;
	int err;

	o.dry_run = 1;
	o.never = 1;
	memset(&r, 0, sizeof(r));
	if ((err = collect(s, &o, &r, &refs)) == 0)
		err = sweep(s, &o, &r, &refs);
	free(refs.v);
	*out = r.kept_recent;
	return err;
}

void mlreg_gc_default_prune(struct mlreg_gc_opts *o)
{
	clock_gettime(CLOCK_REALTIME, &o->prune);
	o->prune.tv_sec -= 14 * DAY_S;	/* git's gc.pruneExpire, "2.weeks.ago" */
	o->never = 0;
}

/* Returns 0 after reading "N.UNIT.ago" from s into o; -1 when s is not of that form
 * or the time would be before 1970. */
static int parse_ago(struct mlreg_gc_opts *o, const char *s)
{
	static const struct { const char *name; long secs; } units[] = {
		{ "second", 1 }, { "minute", 60 }, { "hour", 3600 }, { "day", DAY_S },
		{ "week", 7 * DAY_S },
	};
	const char *dot, *unit;
	char *end;
	long n;
	size_t i, len;

	if (*s < '0' || *s > '9')
		return -1;
	errno = 0;
	n = strtol(s, &end, 10);
	if (errno || *end != '.')
		return -1;
	unit = end + 1;
	if (!(dot = strchr(unit, '.')) || strcmp(dot, ".ago") != 0)
		return -1;
	len = (size_t)(dot - unit);
	if (len > 0 && unit[len - 1] == 's')
		len--;
	for (i = 0; i < sizeof(units) / sizeof(units[0]); i++) {
		if (strlen(units[i].name) != len || strncmp(unit, units[i].name, len))
			continue;
		clock_gettime(CLOCK_REALTIME, &o->prune);
		if (n > o->prune.tv_sec / units[i].secs)
			return -1;	/* before 1970 */
		o->prune.tv_sec -= n * units[i].secs;
		return 0;
	}
	return -1;
}

/* Returns 0 after reading an RFC 3339 time from s into o; -1 when it is not one. */
static int parse_rfc3339(struct mlreg_gc_opts *o, const char *s)
{
	int Y, M, D, h, m, sec, used = 0, oh, om;
	long nsec = 0, scale = 100000000;
	struct tm tm = { 0 };
	const char *p;
	time_t t;

	if (sscanf(s, "%4d-%2d-%2d%*1[Tt ]%2d:%2d:%2d%n", &Y, &M, &D, &h, &m, &sec, &used) != 6 ||
	    used != 19 || M < 1 || M > 12 || D < 1 || D > 31 || h > 23 || m > 59 || sec > 60 ||
	    Y < 1970 || h < 0 || m < 0 || sec < 0)
		return -1;
	p = s + used;
	if (*p == '.') {
		if (p[1] < '0' || p[1] > '9')
			return -1;
		for (p++; *p >= '0' && *p <= '9'; p++) {
			nsec += (*p - '0') * scale;
			scale /= 10;
		}
	}
	tm.tm_year = Y - 1900;
	tm.tm_mon = M - 1;
	tm.tm_mday = D;
	tm.tm_hour = h;
	tm.tm_min = m;
	tm.tm_sec = sec;
	t = timegm(&tm);
	if (tm.tm_mday != D)
		return -1;	/* February 30th */
	if ((*p == 'Z' || *p == 'z') && p[1] == '\0') {
		;
	} else if ((*p == '+' || *p == '-') && sscanf(p + 1, "%2d:%2d%n", &oh, &om, &used) == 2 &&
		   used == 5 && p[6] == '\0' && oh <= 23 && om <= 59 && oh >= 0 && om >= 0) {
		t += (*p == '+' ? -1 : 1) * (time_t)(oh * 3600 + om * 60);
	} else {
		return -1;
	}
	o->prune.tv_sec = t;
	o->prune.tv_nsec = nsec;
	return 0;
}

int mlreg_gc_parse_prune(struct mlreg_gc_opts *o, const char *s)
{
	o->never = 0;
	if (!strcmp(s, "now")) {
		clock_gettime(CLOCK_REALTIME, &o->prune);
		return 0;
	}
	if (!strcmp(s, "never")) {
		o->never = 1;
		return 0;
	}
	if (parse_ago(o, s) == 0 || parse_rfc3339(o, s) == 0)
		return 0;
	return mlreg_error_set(MLREG_EUSAGE, "invalid --prune value '%s' (expected now, never, "
			       "N.UNIT.ago or an RFC 3339 time)", s);
}
