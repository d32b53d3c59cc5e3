/*
 * Models and versions: the record store (see registry.h for the layout and
 * the commit rule).  register.c stores a version's files first (steps 1
 * and 2 of a registration, see there); appending its record here is:
 *   3. take models/<enc>/model.json.lock, reread model.json, allocate
 *      N = latest_version + 1, write versions/N.json (temp file, fsync,
 *      rename), then write model.json with latest_version = N through the
 *      lock file and rename it into place: the commit point (with
 *      'register --if-changed', a record equal to version N - 1 is not
 *      written: mlreg_version_append_unless());
 *   4. release the lock.
 * Concurrent registrations of one model serialise on step 3 only.
 */
#include <dirent.h>
#include <fcntl.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "doc.h"
#include "error.h"
#include "fs.h"
#include "listidx.h"
#include "name.h"
#include "registry.h"
#include "text.h"
#include "util.h"

static char *model_dir(const struct mlreg_store *store, const char *name)
{
	char *enc = mlreg_name_encode(name);
	char *p = mlreg_store_path(store, "models/%s", enc);

	free(enc);
	return p;
}

/* Returns 0 and the parsed record at path in *out; what names it in errors. */
static int read_record(cJSON **out, const char *path, const char *what)
{
	const char *base;
	char *buf;
	size_t len;
	int err;

	*out = NULL;
	if ((err = mlreg_fs_read_file(&buf, &len, path, MLREG_RECORD_MAX, what)) < 0)
		return err;
	base = strrchr(path, '/');
	err = mlreg_doc_parse_record(out, buf, len, base ? base + 1 : path);
	free(buf);
	if (err < 0)
		return mlreg_error_set(MLREG_ECORRUPT, "%s is not a valid JSON record (%s); "
				       "run 'mlreg fsck'", what, mlreg_error_message());
	return 0;
}

static int redirect_error(const char *dir, const char *name, const cJSON *rec);
static int interrupted_rename(const char *dir, const char *name, const cJSON *rec);

/*
 * Returns 0 and the record of the model in directory dir (models/ENC(name))
 * in *out; MLREG_ENOTFOUND when there is none, or when it is a redirect
 * (the message names the model's new name: section 5.2 of store-format.md);
 * MLREG_ECORRUPT when it names another model (saying to rerun the rename
 * when that is an interrupted one).
 */
static int load_at(cJSON **out, const char *dir, const char *name)
{
	char *path = xasprintf("%s/model.json", dir);
	char *what = xasprintf("the record of model '%s'", name);
	int err = read_record(out, path, what);

	free(path);
	free(what);
	if (err == MLREG_ENOTFOUND)
		return mlreg_error_set(MLREG_ENOTFOUND, "model '%s' not found", name);
	if (err < 0)
		return err;
	if (cJSON_GetObjectItemCaseSensitive(*out, "renamed_to"))
		err = redirect_error(dir, name, *out);
	else if (strcmp(mlreg_doc_str(*out, "name", ""), name) != 0)
		err = interrupted_rename(dir, name, *out) ? MLREG_ECORRUPT :
			mlreg_error_set(MLREG_ECORRUPT, "the record of model '%s' names another "
					"model; run 'mlreg fsck'", name);
	if (err < 0) {
		cJSON_Delete(*out);
		*out = NULL;
	}
	return err;
}

int mlreg_model_load(cJSON **out, const struct mlreg_store *store, const char *name)
{
	char *dir;
	int err;

	*out = NULL;
	if ((err = mlreg_name_validate(name)) < 0)
		return err;
	dir = model_dir(store, name);
	err = load_at(out, dir, name);
	free(dir);
	return err;
}

/* Returns 0 after writing rec through the held lock and committing it. */
static int commit_record(struct mlreg_lock *lk, const cJSON *rec)
{
	char *text = mlreg_doc_print(rec);
	int err = mlreg_lock_write(lk, text, strlen(text));

	free(text);
	if (!err)
		err = mlreg_lock_commit(lk);
	return err;
}

/*
 * Returns 0 with the model's directory and versions/ made (existing is
 * fine) and lk holding its lock; *dir and *rec_path (malloc'd) name the
 * directory and its model.json.  The caller releases lk and frees both.
 */
static int lock_new_model(struct mlreg_lock *lk, char **dir, char **rec_path,
			  struct mlreg_store *store, const char *name)
{
	char *vdir;
	int err = 0;

	*dir = model_dir(store, name);
	*rec_path = xasprintf("%s/model.json", *dir);
	vdir = xasprintf("%s/versions", *dir);
	if ((mkdir(*dir, 0755) < 0 && errno != EEXIST) || (mkdir(vdir, 0755) < 0 && errno != EEXIST))
		err = mlreg_error_os("cannot create model '%s'", name);
	else
		err = mlreg_lock_acquire(lk, *rec_path, mlreg_lock_timeout());
	free(vdir);
	return err;
}

/*
 * Returns 0 after creating model name (see registry.h), over a redirect
 * left by a rename when over_redirect is set (the new record replaces it
 * in one rename); MLREG_EEXISTS when it exists.
 */
static int create_model(cJSON **out, struct mlreg_store *store, const char *name,
			const char *description, const cJSON *metadata, int over_redirect)
{
	struct mlreg_lock lk = { 0 };
	char *dir = NULL, *rec_path = NULL;
	char now[40];
	cJSON *rec = NULL;
	int err, redirect = 0;

	if (out)
		*out = NULL;
	if ((err = mlreg_name_validate(name)) < 0)
		return err;
	if (!over_redirect && mlreg_model_is_redirect(store, name)) {	/* refused below */
		dir = model_dir(store, name);
		rec_path = xasprintf("%s/model.json", dir);
	} else if ((err = lock_new_model(&lk, &dir, &rec_path, store, name)) < 0) {
		goto done;
	}
	if (access(rec_path, F_OK) == 0) {
		cJSON *old = NULL;
		redirect = read_record(&old, rec_path, "the model's record") == 0 &&
			cJSON_IsString(cJSON_GetObjectItemCaseSensitive(old, "renamed_to"));
		if (redirect && !over_redirect)
			err = mlreg_error_set(MLREG_EEXISTS, "model '%s' was renamed to '%s' and its "
					      "old name redirects there; 'mlreg rename %s %s' moves "
					      "it back, 'mlreg create --force %s' replaces it",
					      name, mlreg_doc_str(old, "renamed_to", ""),
					      mlreg_doc_str(old, "renamed_to", ""), name, name);
		cJSON_Delete(old);
		if (err < 0)
			goto done;
		mlreg_error_clear();
	}
	mlreg_time_now(now, sizeof(now));
	if (!redirect && access(rec_path, F_OK) == 0) {	/* (a redirect: replaced, --force) */
		if ((err = load_at(&rec, dir, name)) == 0 && !mlreg_record_deleted(rec))
			err = mlreg_error_set(MLREG_EEXISTS, "model '%s' already exists", name);
		if (err < 0)
			goto done;
		/* made again: the numbering and the event log go on (6.7) */
		cJSON_DeleteItemFromObjectCaseSensitive(rec, "deleted");
		mlreg_doc_set(rec, "description", cJSON_CreateString(description ? description : ""));
		mlreg_doc_set(rec, "metadata", metadata ? cJSON_Duplicate(metadata, 1)
						        : cJSON_CreateObject());
		mlreg_doc_set(rec, "creation_time", cJSON_CreateString(now));
		mlreg_doc_set(rec, "last_updated_time", cJSON_CreateString(now));
		goto commit;
	}
	rec = cJSON_CreateObject();
	cJSON_AddStringToObject(rec, "name", name);
	cJSON_AddStringToObject(rec, "description", description ? description : "");
	cJSON_AddItemToObject(rec, "metadata", metadata ? cJSON_Duplicate(metadata, 1)
							: cJSON_CreateObject());
	cJSON_AddStringToObject(rec, "creation_time", now);
	cJSON_AddStringToObject(rec, "last_updated_time", now);
	cJSON_AddNumberToObject(rec, "latest_version", 0);
	cJSON_AddNullToObject(rec, "latest_id");
commit:
	if ((err = commit_record(&lk, rec)) < 0)
		goto done;
	err = mlreg_fs_fsync_dir(dir);
	if (!err)
		err = mlreg_fs_fsync_parent(dir);
	if (!err && out) {
		*out = rec;
		rec = NULL;
	}
done:
	mlreg_lock_release(&lk);
	cJSON_Delete(rec);
	free(dir);
	free(rec_path);
	return err;
}

int mlreg_model_create(cJSON **out, struct mlreg_store *store, const char *name,
		       const char *description, const cJSON *metadata)
{
	return create_model(out, store, name, description, metadata, 0);
}

int mlreg_model_create_over_redirect(cJSON **out, struct mlreg_store *store, const char *name,
				     const char *description, const cJSON *metadata)
{
	return create_model(out, store, name, description, metadata, 1);
}

int mlreg_model_list(cJSON **out, const struct mlreg_store *store)
{
	char *root = mlreg_store_path(store, "models");
	cJSON *arr = cJSON_CreateArray();
	struct dirent *de;
	DIR *d;
	int err = 0;

	*out = NULL;
	d = opendir(root);
	if (!d) {
		err = mlreg_error_os("cannot read '%s'", root);
		free(root);
		cJSON_Delete(arr);
		return err;
	}
	while ((de = readdir(d)) != NULL) {
		char *name, *dir;
		cJSON *rec;

		if (de->d_name[0] == '.')
			continue;
		if (!(name = mlreg_name_decode(de->d_name)))
			continue;
		dir = xasprintf("%s/%s", root, de->d_name);
		err = load_at(&rec, dir, name);
		free(dir);
		free(name);
		if (err == MLREG_ENOTFOUND) {
			/* a create interrupted before its commit: not a model */
			err = 0;
			continue;
		}
		if (err < 0)
			break;
		cJSON_AddItemToArray(arr, rec);
	}
	closedir(d);
	free(root);
	if (err < 0) {
		cJSON_Delete(arr);
		return err;
	}
	*out = arr;
	return 0;
}

struct listed_name {
	char *name, *enc;
};

static int cmp_listed(const void *a, const void *b)
{
	return strcmp(((const struct listed_name *)a)->name, ((const struct listed_name *)b)->name);
}

/* The models index (store-format.md section 6.9). */
#define MIDX_HEADER "mlreg models index 1\n"
#define MIDX_LINE_MAX 4096

struct midx {
	FILE *in;		/* the index read, NULL when none */
	struct timespec mtime;	/* its mtime: entries not older are racy */
	char *line;		/* the current line (its newline cut), NULL at the end */
	size_t cap;
	off_t off, next_off;	/* where the current line starts, and the next */
	char *name;		/* the current line's decoded name; NULL: bad line */
	char *f[10];		/* its fields */
	int nf;
	char *tmp_path, *path;
	FILE *out;		/* the index written, once it diverged */
	int diverged;
};

static void midx_advance(struct midx *x)
{
	ssize_t n;

	free(x->name);
	x->name = NULL;
	x->off = x->next_off;
	if (!x->in || (n = getline(&x->line, &x->cap, x->in)) <= 0 || n > MIDX_LINE_MAX ||
	    x->line[n - 1] != '\n') {
		if (x->line)
			x->line[0] = '\0';
		x->nf = -1;	/* the end (a line cut short is the end too) */
		return;
	}
	x->next_off += n;
	x->line[n - 1] = '\0';
	x->nf = 0;
	for (char *p = x->line; x->nf < 10; x->nf++) {
		x->f[x->nf] = p;
		if (!(p = strchr(p, '\t')))
			break;
		*p++ = '\0';
	}
	x->nf++;
	x->name = mlreg_name_decode(x->f[0]);
}

/* Returns a new string of s unescaped (%XX, listidx.h), NULL when it is not valid. */
static char *midx_unescape(const char *s)
{
	char *out = xstrdup(s);

	if (mlreg_idx_unescape(out) < 0) {
		free(out);
		return NULL;
	}
	return out;
}

/* Appends s escaped as the index's text fields are (listidx.h) to b. */
static void midx_escape(struct mlreg_buf *b, const char *s)
{
	mlreg_idx_escape(b, s, strlen(s));
}

static long long ts_ns(struct timespec t)
{
	return (long long)t.tv_sec * 1000000000LL + t.tv_nsec;
}

/*
 * The index stops matching the walk: from here on, the index is written
 * anew (its lines before this point, all used, copied as they are).
 */
static void midx_diverge(struct midx *x)
{
	char buf[65536];
	off_t at = (off_t)strlen(MIDX_HEADER);
	int fd;

	if (x->diverged)
		return;
	x->diverged = 1;
	x->tmp_path = xasprintf("%s.XXXXXX", x->path);
	if ((fd = mkostemp(x->tmp_path, O_CLOEXEC)) < 0)
		return;		/* a read-only store: the records only */
	(void)fchmod(fd, 0644);
	x->out = fdopen(fd, "w");
	if (!x->out) {
		close(fd);
		unlink(x->tmp_path);
		return;
	}
	fputs(MIDX_HEADER, x->out);
	while (x->in && at < x->off) {
		size_t want = (size_t)(x->off - at) < sizeof(buf) ? (size_t)(x->off - at) : sizeof(buf);
		ssize_t n = pread(fileno(x->in), buf, want, at);
		if (n <= 0) {
			fclose(x->out);
			x->out = NULL;
			unlink(x->tmp_path);
			return;
		}
		fwrite(buf, 1, (size_t)n, x->out);
		at += n;
	}
}

static void midx_write_record(struct midx *x, const char *enc, const struct stat *st,
			      const cJSON *rec)
{
	struct mlreg_buf b = MLREG_BUF_INIT;
	char head[128];

	if (!x->out)
		return;
	snprintf(head, sizeof(head), "\t%llu\t%lld\t%lld\t%lld\t", (unsigned long long)st->st_ino,
		 (long long)st->st_size, ts_ns(st->st_mtim), ts_ns(st->st_ctim));
	mlreg_buf_addstr(&b, enc);
	mlreg_buf_addstr(&b, head);
	if (!rec) {
		mlreg_buf_addstr(&b, "r");
	} else if (mlreg_record_deleted(rec)) {
		mlreg_buf_addstr(&b, "d");
	} else {
		snprintf(head, sizeof(head), "m\t%lld\t", mlreg_doc_int(rec, "latest_version", 0));
		mlreg_buf_addstr(&b, head);
		midx_escape(&b, mlreg_doc_str(rec, "creation_time", ""));
		mlreg_buf_addch(&b, '\t');
		midx_escape(&b, mlreg_doc_str(rec, "last_updated_time", ""));
		mlreg_buf_addch(&b, '\t');
		midx_escape(&b, mlreg_doc_str(rec, "description", ""));
		if (b.len + 1 > MIDX_LINE_MAX) {
			mlreg_buf_release(&b);
			return;	/* too long: no line, the record is read each time */
		}
	}
	mlreg_buf_addch(&b, '\n');
	fwrite(b.p, 1, b.len, x->out);
	mlreg_buf_release(&b);
}

/*
 * Returns 1 and in *rec what the current line says of model name (only
 * the members a listing shows; NULL for a record that is not a live
 * model) when the line is valid and names st, the model.json just stat'd,
 * not racily; 0 otherwise.
 */
static int midx_hit(struct midx *x, const char *enc, const char *name, const struct stat *st,
		    cJSON **rec)
{
	char want[128];
	char *c = NULL, *u = NULL, *d = NULL, *end;
	long long latest;

	*rec = NULL;
	if (!x->name || strcmp(x->name, name) || strcmp(x->f[0], enc) || x->nf < 6)
		return 0;
	snprintf(want, sizeof(want), "%llu\t%lld\t%lld\t%lld", (unsigned long long)st->st_ino,
		 (long long)st->st_size, ts_ns(st->st_mtim), ts_ns(st->st_ctim));
	if (strlen(x->f[1]) + strlen(x->f[2]) + strlen(x->f[3]) + strlen(x->f[4]) + 3 !=
	    strlen(want))
		return 0;
	{
		char got[128];
		snprintf(got, sizeof(got), "%s\t%s\t%s\t%s", x->f[1], x->f[2], x->f[3], x->f[4]);
		if (strcmp(got, want))
			return 0;
	}
	/* git's racy rule: changed in the index's own tick or later, not trusted */
	if (ts_ns(st->st_mtim) >= ts_ns(x->mtime) || ts_ns(st->st_ctim) >= ts_ns(x->mtime))
		return 0;
	if (!strcmp(x->f[5], "r") || !strcmp(x->f[5], "d"))
		return x->nf == 6;
	if (strcmp(x->f[5], "m") || x->nf != 10)
		return 0;
	errno = 0;
	latest = strtoll(x->f[6], &end, 10);
	if (errno || *end || end == x->f[6] || latest < 0 || (x->f[6][0] == '0' && x->f[6][1]))
		return 0;
	if (!(c = midx_unescape(x->f[7])) || !(u = midx_unescape(x->f[8])) ||
	    !(d = midx_unescape(x->f[9]))) {
		free(c);
		free(u);
		return 0;
	}
	*rec = cJSON_CreateObject();
	cJSON_AddStringToObject(*rec, "name", name);
	cJSON_AddStringToObject(*rec, "description", d);
	cJSON_AddStringToObject(*rec, "creation_time", c);
	cJSON_AddStringToObject(*rec, "last_updated_time", u);
	cJSON_AddNumberToObject(*rec, "latest_version", (double)latest);
	free(c);
	free(u);
	free(d);
	return 1;
}

static void midx_open(struct midx *x, const struct mlreg_store *store)
{
	struct stat st;
	int fd;

	memset(x, 0, sizeof(*x));
	x->path = mlreg_store_path(store, "models.idx");
	fd = open(x->path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK);
	if (fd >= 0 && (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode))) {
		close(fd);
		fd = -1;
	}
	if (fd >= 0 && !(x->in = fdopen(fd, "r")))
		close(fd);
	if (x->in) {
		x->mtime = st.st_mtim;
		midx_advance(x);
		if (x->nf != 1 || strcmp(x->line, "mlreg models index 1")) {
			fclose(x->in);
			x->in = NULL;
		}
	}
	x->off = x->next_off = (off_t)strlen(MIDX_HEADER);
	if (!x->in)
		midx_diverge(x);
	midx_advance(x);
}

/* Ends the walk: the index written replaces the old one, unless err. */
static void midx_close(struct midx *x, int err)
{
	if (!err && x->nf >= 0)
		midx_diverge(x);	/* lines left: models gone */
	if (x->out) {
		if (fclose(x->out) != 0 || err || rename(x->tmp_path, x->path) < 0)
			unlink(x->tmp_path);
	}
	if (x->in)
		fclose(x->in);
	free(x->name);
	free(x->line);
	free(x->tmp_path);
	free(x->path);
}

int mlreg_models_index_verify(const struct mlreg_store *store)
{
	struct midx x;
	struct stat st;
	int fd, err = 0;

	memset(&x, 0, sizeof(x));
	x.path = mlreg_store_path(store, "models.idx");
	fd = open(x.path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK);
	if (fd >= 0 && (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode) || !(x.in = fdopen(fd, "r"))))
		close(fd);
	if (x.in) {
		x.mtime = st.st_mtim;
		midx_advance(&x);
		if (x.nf != 1 || strcmp(x.line, "mlreg models index 1"))
			x.nf = -1;	/* not an index: stale, not wrong */
		else
			midx_advance(&x);
	} else {
		x.nf = -1;
	}
	for (; x.nf >= 0; midx_advance(&x)) {
		char *p, *dir;
		cJSON *idx = NULL, *rec = NULL;
		int r;

		if (!x.name)
			continue;	/* a bad line: never used */
		dir = mlreg_store_path(store, "models");
		p = xasprintf("%s/%s/model.json", dir, x.f[0]);
		r = stat(p, &st);
		free(p);
		if (r < 0 || !midx_hit(&x, x.f[0], x.name, &st, &idx)) {
			free(dir);
			continue;	/* stale: never used */
		}
		p = xasprintf("%s/%s", dir, x.f[0]);
		free(dir);
		r = load_at(&rec, p, x.name);
		free(p);
		if (r == MLREG_ENOTFOUND ? strcmp(x.f[5], "r") :
		    r < 0 ? 0 :
		    mlreg_record_deleted(rec) ? strcmp(x.f[5], "d") :
		    !idx || mlreg_doc_int(rec, "latest_version", 0) !=
				    mlreg_doc_int(idx, "latest_version", -1) ||
		    strcmp(mlreg_doc_str(rec, "creation_time", ""),
			   mlreg_doc_str(idx, "creation_time", "")) ||
		    strcmp(mlreg_doc_str(rec, "last_updated_time", ""),
			   mlreg_doc_str(idx, "last_updated_time", "")) ||
		    strcmp(mlreg_doc_str(rec, "description", ""),
			   mlreg_doc_str(idx, "description", "")))
			err = mlreg_error_set(MLREG_ECORRUPT, "the models index is wrong about "
					      "model '%s'", x.name);
		cJSON_Delete(rec);
		cJSON_Delete(idx);
		if (err < 0)
			break;	/* (the message stays as set) */
	}
	if (x.in)
		fclose(x.in);
	free(x.name);
	free(x.line);
	free(x.path);
	return err;
}

void mlreg_models_index_drop(const struct mlreg_store *store)
{
	char *p = mlreg_store_path(store, "models.idx");

	unlink(p);
	free(p);
}

int mlreg_model_each(const struct mlreg_store *store, int flags,
		     int (*fn)(const cJSON *model, void *ctx), void *ctx)
{
	char *root = mlreg_store_path(store, "models");
	struct listed_name *v = NULL;
	size_t n = 0, alloc = 0, i;
	int desc = flags & MLREG_EACH_DESC, use_idx = (flags & MLREG_EACH_INDEX) && !desc;
	struct dirent *de;
	struct midx x;
	DIR *d;
	int err = 0;

	d = opendir(root);
	if (!d) {
		err = mlreg_error_os("cannot read '%s'", root);
		free(root);
		return err;
	}
	while ((de = readdir(d)) != NULL) {
		char *name;

		if (de->d_name[0] == '.' || !(name = mlreg_name_decode(de->d_name)))
			continue;
		if (n == alloc) {
			alloc = alloc ? 2 * alloc : 64;
			v = xrealloc(v, alloc * sizeof(*v));
		}
		v[n].name = name;
		v[n++].enc = xstrdup(de->d_name);
	}
	if (n > 1)
		qsort(v, n, sizeof(*v), cmp_listed);
	if (use_idx)
		midx_open(&x, store);
	for (i = 0; i < n && err >= 0; i++) {
		const struct listed_name *e = &v[desc ? n - 1 - i : i];
		char *dir = xasprintf("%s/%s", root, e->enc);
		cJSON *rec = NULL;
		struct stat st;

		if (use_idx) {
			/* (relative to models/: one lookup less per model) */
			char *p = xasprintf("%s/model.json", e->enc);
			int r = fstatat(dirfd(d), p, &st, 0);

			free(p);
			while (x.nf >= 0 && (!x.name || strcmp(x.name, e->name) < 0)) {
				midx_diverge(&x);	/* a model gone, or a bad line */
				midx_advance(&x);
			}
			if (r < 0) {
				/* no record: not a model (an interrupted create) */
				if (x.name && !strcmp(x.name, e->name)) {
					midx_diverge(&x);
					midx_advance(&x);
				}
				free(dir);
				continue;
			}
			if (midx_hit(&x, e->enc, e->name, &st, &rec)) {
				if (x.out)
					fprintf(x.out, "%s\t%s\t%s\t%s\t%s\t%s%s%s%s%s%s%s%s%s\n",
						x.f[0], x.f[1], x.f[2], x.f[3], x.f[4], x.f[5],
						x.nf > 6 ? "\t" : "", x.nf > 6 ? x.f[6] : "",
						x.nf > 6 ? "\t" : "", x.nf > 6 ? x.f[7] : "",
						x.nf > 6 ? "\t" : "", x.nf > 6 ? x.f[8] : "",
						x.nf > 6 ? "\t" : "", x.nf > 6 ? x.f[9] : "");
				midx_advance(&x);
				free(dir);
				if (rec) {
					err = fn(rec, ctx);
					cJSON_Delete(rec);
				}
				continue;
			}
			midx_diverge(&x);
			if (x.name && !strcmp(x.name, e->name))
				midx_advance(&x);
		}
		err = load_at(&rec, dir, e->name);
		free(dir);
		if (err == MLREG_ENOTFOUND) {
			/* a create interrupted before its commit, a redirect: not a model */
			if (use_idx)
				midx_write_record(&x, e->enc, &st, NULL);
			err = 0;
			continue;
		}
		if (err < 0)
			break;
		if (use_idx)
			midx_write_record(&x, e->enc, &st, rec);
		err = fn(rec, ctx);
		cJSON_Delete(rec);
	}
	if (use_idx)
		midx_close(&x, err < 0);
	closedir(d);
	for (i = 0; i < n; i++) {
		free(v[i].name);
		free(v[i].enc);
	}
	free(v);
	free(root);
	return err < 0 ? err : 0;
}

/*
 * Returns 0 with lk holding model name's lock and *rec its current record;
 * the caller releases lk and frees *rec.
 */
static int lock_model(struct mlreg_lock *lk, cJSON **rec, const struct mlreg_store *store,
		      const char *name)
{
	char *dir = model_dir(store, name);
	char *rec_path = xasprintf("%s/model.json", dir);
	int err, tries;

	*rec = NULL;
	for (tries = 0;; tries++) {
		if (tries == 0 && access(rec_path, F_OK) < 0) {
			err = mlreg_error_set(MLREG_ENOTFOUND, "model '%s' not found", name);
			break;
		}
		err = mlreg_lock_acquire(lk, rec_path, mlreg_lock_timeout());
		if (err == MLREG_EOS && access(dir, F_OK) < 0 && errno == ENOENT) {
			/*
			 * A rename moved the directory while we waited on its
			 * lock (store-format.md 5.2): the old name's comes back
			 * at once, locked until its redirect is committed, which
			 * load_at() then reports.
			 */
			if (tries < 100) {
				mlreg_sleep_ms(10);
				continue;
			}
			err = mlreg_error_set(MLREG_ENOTFOUND, "model '%s' not found", name);
		}
		if (!err && (err = load_at(rec, dir, name)) < 0)
			mlreg_lock_release(lk);
		break;
	}
	free(dir);
	free(rec_path);
	return err;
}

static void touch(cJSON *rec)
{
	char now[40];

	mlreg_time_now(now, sizeof(now));
	mlreg_doc_set(rec, "last_updated_time", cJSON_CreateString(now));
}

int mlreg_model_update_metadata(cJSON **out, struct mlreg_store *store, const char *name,
				const cJSON *add, char *const *remove, size_t nremove)
{
	struct mlreg_lock lk = { 0 };
	cJSON *rec = NULL, *meta;
	const cJSON *item;
	size_t i;
	int err;

	if (out)
		*out = NULL;
	if ((err = mlreg_name_validate(name)) < 0)
		return err;
	if ((err = lock_model(&lk, &rec, store, name)) < 0)
		return err;
	if ((err = mlreg_model_require_live(rec)) < 0) {
		mlreg_lock_release(&lk);
		cJSON_Delete(rec);
		return err;
	}
	meta = cJSON_GetObjectItemCaseSensitive(rec, "metadata");
	if (!cJSON_IsObject(meta)) {
		meta = cJSON_CreateObject();
		mlreg_doc_set(rec, "metadata", meta);
	}
	cJSON_ArrayForEach(item, add)
		mlreg_doc_set(meta, item->string, cJSON_Duplicate(item, 1));
	for (i = 0; i < nremove; i++)
		cJSON_DeleteItemFromObjectCaseSensitive(meta, remove[i]);
	touch(rec);
	err = commit_record(&lk, rec);
	mlreg_lock_release(&lk);
	if (!err && out) {
		*out = rec;
		rec = NULL;
	}
	cJSON_Delete(rec);
	return err;
}

cJSON *mlreg_model_public(const cJSON *model)
{
	cJSON *c = cJSON_Duplicate(model, 1);

	cJSON_DeleteItemFromObjectCaseSensitive(c, "latest_id");
	cJSON_DeleteItemFromObjectCaseSensitive(c, "latest_event_id");
	return c;
}

/*
 * Returns a new record of a chain (versions, events): {"model": name,
 * numkey: k, "parent": the model record's idkey (null when it has none),
 * timekey: now}, then body's members, moved out of body in their order.
 */
static cJSON *chained_record(const cJSON *model, const char *name, const char *numkey,
			     long k, const char *idkey, const char *timekey, const char *now,
			     cJSON *body)
{
	cJSON *rec = cJSON_CreateObject(), *item;

	cJSON_AddStringToObject(rec, "model", name);
	cJSON_AddNumberToObject(rec, numkey, (double)k);
	if (cJSON_IsString(cJSON_GetObjectItemCaseSensitive(model, idkey)))
		cJSON_AddStringToObject(rec, "parent", mlreg_doc_str(model, idkey, ""));
	else
		cJSON_AddNullToObject(rec, "parent");
	cJSON_AddStringToObject(rec, timekey, now);
	while ((item = body->child) != NULL)
		cJSON_AddItemToObject(rec, item->string, cJSON_DetachItemViaPointer(body, item));
	return rec;
}

cJSON *mlreg_version_with_id(const cJSON *rec, const char *hex)
{
	cJSON *out = cJSON_CreateObject();
	const cJSON *item;

	cJSON_ArrayForEach(item, rec) {
		if (!strcmp(item->string, "id"))
			continue;	/* a tombstone's: hex is that id */
		cJSON_AddItemToObject(out, item->string, cJSON_Duplicate(item, 1));
		if (!strcmp(item->string, "version"))
			cJSON_AddStringToObject(out, "id", hex);
	}
	if (!cJSON_GetObjectItemCaseSensitive(out, "id"))
		cJSON_AddStringToObject(out, "id", hex);
	return out;
}

static int load_version(cJSON **out, const struct mlreg_store *store, const char *name,
			const cJSON *former, const char *enc, long n);

/* The former names in a model record (store-format.md 5.2), NULL when none. */
#define FORMER(model) cJSON_GetObjectItemCaseSensitive(model, "former_names")

/*
 * Returns obj (a version or event object) naming model name: a record
 * written before a rename keeps the name it had in its bytes, but what
 * readers are given names the model as it is called now.
 */
static cJSON *as_named(cJSON *obj, const char *name)
{
	if (strcmp(mlreg_doc_str(obj, "model", ""), name) != 0)
		mlreg_doc_set(obj, "model", cJSON_CreateString(name));
	return obj;
}

int mlreg_version_append(cJSON **out, struct mlreg_store *store, const char *name,
			 cJSON *body)
{
	return mlreg_version_append_unless(out, NULL, store, name, body, NULL);
}

/*
 * Returns 0 after appending body as the next version, or, when same says
 * it is the latest version again, after writing nothing (see registry.h).
 */
int mlreg_version_append_unless(cJSON **out, int *unchanged, struct mlreg_store *store,
				const char *name, cJSON *body, mlreg_version_same_fn same)
{
	struct mlreg_lock lk = { 0 };
	cJSON *model = NULL, *rec = NULL, *latest = NULL;
	char *dir = NULL, *vpath = NULL, *text = NULL;
	char hex[MLREG_HEX_LEN + 1], now[40];
	long n;
	int err;

	*out = NULL;
	if (unchanged)
		*unchanged = 0;
	if ((err = lock_model(&lk, &model, store, name)) < 0)
		goto done;
	if ((err = mlreg_model_require_live(model)) < 0)
		goto done;
	n = (long)mlreg_doc_int(model, "latest_version", 0) + 1;
	mlreg_time_now(now, sizeof(now));
	rec = chained_record(model, name, "version", n, "latest_id", "created", now, body);

	text = mlreg_doc_print(rec);
	{
		/* Never write what every reader would refuse (see registry.h). */
		cJSON *back;
		if ((err = mlreg_version_parse(&back, text, strlen(text), name, NULL, n)) < 0) {
			err = mlreg_error_set(MLREG_EINVALID, "cannot register %s@%ld: %s",
					      name, n, mlreg_error_message());
			goto done;
		}
		/*
		 * Under the lock, so that of N concurrent registrations of the
		 * same content one appends and the others find it.  The latest
		 * is the highest numbered record, whatever it is.
		 */
		if (same && n > 1) {
			char *enc = mlreg_name_encode(name);
			err = load_version(&latest, store, name, FORMER(model), enc, n - 1);
			free(enc);
			if (err == 0 && same(back, latest)) {
				cJSON_Delete(back);
				if (unchanged)
					*unchanged = 1;
				*out = latest;
				latest = NULL;
				goto done;
			}
		}
		cJSON_Delete(back);
		if (err < 0)
			goto done;
	}
	mlreg_version_id(text, strlen(text), hex);
	dir = model_dir(store, name);
	vpath = xasprintf("%s/versions/%ld.json", dir, n);
	if ((err = mlreg_fs_write_atomic(vpath, text, strlen(text))) < 0)
		goto done;
	mlreg_doc_set(model, "latest_version", cJSON_CreateNumber((double)n));
	mlreg_doc_set(model, "latest_id", cJSON_CreateString(hex));
	mlreg_doc_set(model, "last_updated_time", cJSON_CreateString(now));
	if ((err = commit_record(&lk, model)) < 0)
		goto done;
	*out = mlreg_version_with_id(rec, hex);
	/* after the commit point: the versions index is a cache (6.8) */
	if (mlreg_vidx_update_locked(store, name, model) < 0)
		mlreg_error_clear();
done:
	mlreg_lock_release(&lk);
	cJSON_Delete(model);
	cJSON_Delete(rec);
	cJSON_Delete(latest);
	free(dir);
	free(vpath);
	free(text);
	return err;
}

int mlreg_version_read_raw(char **buf, size_t *len, char *hex,
			   const struct mlreg_store *store, const char *enc, long n)
{
	char *path = mlreg_store_path(store, "models/%s/versions/%ld.json", enc, n);
	char *what = xasprintf("models/%s/versions/%ld.json", enc, n);
	int err = mlreg_fs_read_file(buf, len, path, MLREG_RECORD_MAX, what);

	if (!err)
		mlreg_version_id(*buf, *len, hex);
	free(path);
	free(what);
	return err;
}

int mlreg_version_read_checked(char **buf, size_t *len, char *hex,
			       const struct mlreg_store *store, const char *name, long n)
{
	char *enc = mlreg_name_encode(name);
	cJSON *rec = NULL, *model = NULL;
	int err = mlreg_version_read_raw(buf, len, hex, store, enc, n);

	free(enc);
	if (err < 0)
		return err;
	if (mlreg_model_load(&model, store, name) < 0)
		mlreg_error_clear();	/* no former names: the record must name name */
	err = mlreg_version_parse(&rec, *buf, *len, name, FORMER(model), n);
	cJSON_Delete(model);
	if (err < 0) {
		err = mlreg_error_set(MLREG_ECORRUPT, "%s; run 'mlreg fsck'", mlreg_error_message());
		free(*buf);
		*buf = NULL;
	}
	cJSON_Delete(rec);
	return err;
}

/* Returns 0 and version n of the model in directory enc, with its id. */
static int load_version(cJSON **out, const struct mlreg_store *store, const char *name,
			const cJSON *former, const char *enc, long n)
{
	char hex[MLREG_HEX_LEN + 1], *buf;
	size_t len;
	cJSON *rec;
	int err;

	*out = NULL;
	if ((err = mlreg_version_read_raw(&buf, &len, hex, store, enc, n)) < 0) {
		if (err == MLREG_ENOTFOUND)
			return mlreg_error_set(MLREG_ECORRUPT, "the record of version %ld of model "
					       "'%s' is missing; run 'mlreg fsck'", n, name);
		return err;
	}
	err = mlreg_version_parse(&rec, buf, len, name, former, n);
	free(buf);
	if (err < 0)
		return mlreg_error_set(MLREG_ECORRUPT, "%s; run 'mlreg fsck'", mlreg_error_message());
	*out = as_named(mlreg_version_with_id(rec, hex), name);
	cJSON_Delete(rec);
	return 0;
}

int mlreg_version_load(cJSON **out, const struct mlreg_store *store, const char *name, long n)
{
	cJSON *model;
	long latest;
	char *enc;
	int err;

	*out = NULL;
	if ((err = mlreg_model_load(&model, store, name)) < 0)
		return err;
	latest = (long)mlreg_doc_int(model, "latest_version", 0);
	if (n == 0 && latest == 0)
		err = mlreg_error_set(MLREG_ENOTFOUND, "model '%s' has no versions", name);
	else if (n > latest)
		err = mlreg_error_set(MLREG_ENOTFOUND, "version %ld of model '%s' not found",
				      n, name);
	if (err < 0) {
		cJSON_Delete(model);
		return err;
	}
	if (n == 0)
		n = latest;
	enc = mlreg_name_encode(name);
	err = load_version(out, store, name, FORMER(model), enc, n);
	free(enc);
	cJSON_Delete(model);
	return err;
}

int mlreg_version_load_in(cJSON **out, const struct mlreg_store *store, const cJSON *model,
			  long n)
{
	const char *name = mlreg_doc_str(model, "name", "");
	char *enc;
	int err;

	*out = NULL;
	if (n < 1 || n > (long)mlreg_doc_int(model, "latest_version", 0))
		return mlreg_error_set(MLREG_ENOTFOUND, "version %ld of model '%s' not found",
				       n, name);
	enc = mlreg_name_encode(name);
	err = load_version(out, store, name, FORMER(model), enc, n);
	free(enc);
	return err;
}

int mlreg_version_list(cJSON **out, const struct mlreg_store *store, const char *name)
{
	cJSON *model, *arr;
	long n;
	char *enc;
	int err = 0;

	*out = NULL;
	if ((err = mlreg_model_load(&model, store, name)) < 0)
		return err;
	n = (long)mlreg_doc_int(model, "latest_version", 0);
	enc = mlreg_name_encode(name);
	arr = cJSON_CreateArray();
	for (; n >= 1; n--) {
		cJSON *v;
		if ((err = load_version(&v, store, name, FORMER(model), enc, n)) < 0)
			break;
		cJSON_AddItemToArray(arr, v);
	}
	cJSON_Delete(model);
	free(enc);
	if (err < 0) {
		cJSON_Delete(arr);
		return err;
	}
	*out = arr;
	return 0;
}

const char *mlreg_path_problem(const char *rel)
{
	const char *seg = rel, *s, *why;

	if (!*rel)
		return "is empty";
	if (*rel == '/')
		return "is absolute";
	if ((why = mlreg_text_problem(rel)) != NULL)
		return why;
	for (s = rel;; s++) {
		if (*s != '/' && *s != '\0')
			continue;
		if (s == seg || (s - seg == 1 && seg[0] == '.') ||
		    (s - seg == 2 && seg[0] == '.' && seg[1] == '.'))
			return "has an empty, '.' or '..' component";
		if (*s == '\0')
			return NULL;
		seg = s + 1;
	}
}

int mlreg_path_is_safe(const char *rel)
{
	return mlreg_path_problem(rel) == NULL;
}

/*
 * Returns the index in sorted (n strictly increasing paths) of the path
 * equal to the first len bytes of p, or -1 when there is none.
 */
static long find_prefix(const char *const *sorted, size_t n, const char *p, size_t len)
{
	size_t lo = 0, hi = n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		int r = strncmp(sorted[mid], p, len);
		if (r == 0 && sorted[mid][len] == '\0')
			return (long)mid;
		if (r == 0)	/* sorted[mid] is longer: after the prefix */
			r = 1;
		if (r < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return -1;
}

int mlreg_paths_check(const char *const *paths, size_t n)
{
	size_t i;
	const char *s, *why;
	long j;

	for (i = 0; i < n; i++) {
		if ((why = mlreg_path_problem(paths[i])) != NULL)
			return mlreg_error_set(MLREG_EINVALID, "the path '%s' %s", paths[i], why);
		if (i > 0 && strcmp(paths[i - 1], paths[i]) >= 0)
			return mlreg_error_set(MLREG_EINVALID, strcmp(paths[i - 1], paths[i]) ?
					       "'%s' is listed after '%s' (paths must be sorted)" :
					       "'%s' is listed twice%.0s", paths[i], paths[i - 1]);
	}
	/* Prefix-free: no path is a directory of another (its sorted list is searched). */
	for (i = 0; i < n; i++)
		for (s = strchr(paths[i], '/'); s; s = strchr(s + 1, '/'))
			if ((j = find_prefix(paths, n, paths[i], (size_t)(s - paths[i]))) >= 0)
				return mlreg_error_set(MLREG_EINVALID, "both '%s' and '%s' are listed "
						       "(a file cannot also be a directory)",
						       paths[j], paths[i]);
	return 0;
}

int mlreg_files_check(const cJSON *files)
{
	const cJSON *f;
	const char **paths;
	size_t n = 0;
	int err = 0;

	if (!cJSON_IsArray(files))
		return mlreg_error_set(MLREG_ECORRUPT, "the version record has no file list");
	paths = xcalloc((size_t)cJSON_GetArraySize(files) + 1, sizeof(*paths));
	cJSON_ArrayForEach(f, files) {
		const char *path = mlreg_doc_str(f, "path", NULL);
		const char *hex = mlreg_doc_str(f, "sha256", NULL);
		const char *mode = mlreg_doc_str(f, "mode", NULL);
		const cJSON *size = cJSON_GetObjectItemCaseSensitive(f, "size");
		if (!path || !mlreg_path_is_safe(path)) {
			err = mlreg_error_set(MLREG_ECORRUPT, "the version record lists an unsafe "
					      "path '%s'", path ? path : "(none)");
			break;
		}
		if (!hex || !mlreg_is_hex64(hex) || !cJSON_IsNumber(size) || size->valuedouble < 0 ||
		    size->valuedouble > 9007199254740992.0 ||
		    size->valuedouble != (double)(uint64_t)size->valuedouble) {
			err = mlreg_error_set(MLREG_ECORRUPT, "the version record's entry for '%s' "
					      "is malformed", path);
			break;
		}
		if (!mode || (strcmp(mode, "0644") && strcmp(mode, "0755"))) {
			err = mlreg_error_set(MLREG_ECORRUPT, "the version record gives '%s' an "
					      "invalid mode (only \"0644\" and \"0755\" are valid)",
					      path);
			break;
		}
		paths[n++] = path;
	}
	if (!err && mlreg_paths_check(paths, n) < 0)
		err = mlreg_error_set(MLREG_ECORRUPT, "the version record's files: %s",
				      mlreg_error_message());
	free(paths);
	return err;
}

int mlreg_record_names_model(const cJSON *rec, const char *name, const cJSON *former)
{
	const char *m = mlreg_doc_str(rec, "model", NULL);
	const cJSON *f;

	if (!m)
		return 0;
	if (!strcmp(m, name))
		return 1;
	cJSON_ArrayForEach(f, former)
		if (cJSON_IsString(f) && !strcmp(f->valuestring, m))
			return 1;
	return 0;
}

/*
 * Returns 0 when rec, a record with "deleted", is a well-formed tombstone
 * (6.7): "deleted" an object of time, user and message strings, "id" 64
 * hex digits, "files" []; MLREG_ECORRUPT naming NAME@N otherwise.
 */
static int tombstone_check(const cJSON *rec, const char *name, long n)
{
	static const char *const strings[] = { "time", "user", "message" };
	const cJSON *del = cJSON_GetObjectItemCaseSensitive(rec, "deleted");
	const cJSON *files = cJSON_GetObjectItemCaseSensitive(rec, "files");
	const char *why = NULL;
	size_t i;

	if (!cJSON_IsObject(del))
		why = "its 'deleted' is not an object";
	for (i = 0; !why && i < sizeof(strings) / sizeof(strings[0]); i++)
		if (!cJSON_IsString(cJSON_GetObjectItemCaseSensitive(del, strings[i])))
			why = "its 'deleted' lacks a time, user or message";
	if (!why && !mlreg_is_hex64(mlreg_doc_str(rec, "id", "")))
		why = "it has no valid 'id'";
	if (!why && !(cJSON_IsArray(files) && cJSON_GetArraySize(files) == 0))
		why = "it lists files";
	if (why)
		return mlreg_error_set(MLREG_ECORRUPT, "the record of %s@%ld is a malformed "
				       "tombstone: %s", name, n, why);
	return 0;
}

int mlreg_version_check(const cJSON *rec, const char *name, const cJSON *former, long n)
{
	const cJSON *parent = cJSON_GetObjectItemCaseSensitive(rec, "parent");

	if (!cJSON_IsObject(rec))
		return mlreg_error_set(MLREG_ECORRUPT, "the record of %s@%ld is not a JSON object",
				       name, n);
	if (!mlreg_record_names_model(rec, name, former) || mlreg_doc_int(rec, "version", -1) != n)
		return mlreg_error_set(MLREG_ECORRUPT, "the record of %s@%ld names another model "
				       "or version", name, n);
	if (n == 1 ? !cJSON_IsNull(parent) :
	    !(cJSON_IsString(parent) && mlreg_is_hex64(parent->valuestring)))
		return mlreg_error_set(MLREG_ECORRUPT, "the record of %s@%ld has a malformed "
				       "parent", name, n);
	if (cJSON_GetObjectItemCaseSensitive(rec, "deleted"))
		return tombstone_check(rec, name, n);
	if (mlreg_files_check(cJSON_GetObjectItemCaseSensitive(rec, "files")) < 0)
		return mlreg_error_set(MLREG_ECORRUPT, "the record of %s@%ld: %s", name, n,
				       mlreg_error_message());
	return 0;
}

int mlreg_version_parse(cJSON **out, const char *buf, size_t len, const char *name,
			const cJSON *former, long n)
{
	char *what = xasprintf("%s@%ld", name, n);
	int err = mlreg_doc_parse_record(out, buf, len, what);

	free(what);
	if (err < 0)
		return mlreg_error_set(MLREG_ECORRUPT, "%s", mlreg_error_message());
	if ((err = mlreg_version_check(*out, name, former, n)) < 0) {
		cJSON_Delete(*out);
		*out = NULL;
	}
	return err;
}

/* Returns the path of version n's partial marker, malloc'd. */
static char *partial_path(const struct mlreg_store *store, const char *name, long n)
{
	char *dir = model_dir(store, name);
	char *p = xasprintf("%s/versions/%ld.partial", dir, n);

	free(dir);
	return p;
}

int mlreg_version_partial(const struct mlreg_store *store, const char *name, long n,
			  const char *id, char **remote)
{
	char *path = partial_path(store, name, n), *buf = NULL;
	int err = mlreg_fs_read_file(&buf, NULL, path, 4096, path), yes = 0;

	if (remote)
		*remote = NULL;
	free(path);
	if (err < 0) {
		mlreg_error_clear();
		return 0;
	}
	/* "ID REMOTE\n": it applies only to the record of that id. */
	if (strlen(buf) > MLREG_HEX_LEN + 1 && !strncmp(buf, id, MLREG_HEX_LEN) &&
	    buf[MLREG_HEX_LEN] == ' ') {
		yes = 1;
		if (remote)
			*remote = xstrndup(buf + MLREG_HEX_LEN + 1,
					   strcspn(buf + MLREG_HEX_LEN + 1, "\n"));
	}
	free(buf);
	return yes;
}

int mlreg_version_mark_complete(struct mlreg_store *store, const char *name, long n)
{
	char *path = partial_path(store, name, n);
	int err = 0;

	if (unlink(path) == 0)
		err = mlreg_fs_fsync_parent(path);
	else if (errno != ENOENT)
		err = mlreg_error_os("cannot remove '%s'", path);
	free(path);
	return err;
}

/* Returns a new local model record made from the remote's record rec. */
static cJSON *model_from_remote(const char *name, const cJSON *rec)
{
	const cJSON *meta = cJSON_GetObjectItemCaseSensitive(rec, "metadata");
	cJSON *m = cJSON_CreateObject();
	char now[40];

	mlreg_time_now(now, sizeof(now));
	cJSON_AddStringToObject(m, "name", name);
	cJSON_AddStringToObject(m, "description", mlreg_doc_str(rec, "description", ""));
	cJSON_AddItemToObject(m, "metadata", cJSON_IsObject(meta) ? cJSON_Duplicate(meta, 1)
								 : cJSON_CreateObject());
	cJSON_AddStringToObject(m, "creation_time", mlreg_doc_str(rec, "creation_time", now));
	cJSON_AddStringToObject(m, "last_updated_time",
				mlreg_doc_str(rec, "last_updated_time", now));
	cJSON_AddNumberToObject(m, "latest_version", 0);
	cJSON_AddNullToObject(m, "latest_id");
	mlreg_former_merge(m, rec);
	return m;
}

/* Returns 1 when model's latest event is still a->ev_base (of id a->ev_base_id). */
static int same_event_base(const cJSON *model, const struct mlreg_adopt *a)
{
	const cJSON *id = cJSON_GetObjectItemCaseSensitive(model, "latest_event_id");

	if (mlreg_doc_int(model, "latest_event", 0) != a->ev_base)
		return 0;
	return a->ev_base == 0 || (cJSON_IsString(id) && !strcmp(id->valuestring, a->ev_base_id));
}

/*
 * Returns 0 after writing the events of a into dir/events/ and setting the
 * state they give in model (not yet committed): the caller's rename of
 * model.json makes them visible with the versions.
 */
static int adopt_events(cJSON *model, const char *dir, const struct mlreg_adopt *a)
{
	char *edir = xasprintf("%s/events", dir);
	char hex[MLREG_HEX_LEN + 1];
	int err = 0;

	if (mkdir(edir, 0755) < 0 && errno != EEXIST)
		err = mlreg_error_os("cannot create '%s'", edir);
	for (long i = 0; !err && i < a->ev_n; i++) {
		char *epath = xasprintf("%s/%ld.json", edir, a->ev_base + 1 + i);
		mlreg_sha256_hex(a->ev_bufs[i], a->ev_lens[i], hex);
		err = mlreg_fs_write_atomic(epath, a->ev_bufs[i], a->ev_lens[i]);
		free(epath);
	}
	free(edir);
	if (err)
		return err;
	mlreg_doc_set(model, "aliases", cJSON_Duplicate(a->aliases, 1));
	mlreg_doc_set(model, "deprecated", cJSON_Duplicate(a->deprecated, 1));
	mlreg_doc_set(model, "latest_event", cJSON_CreateNumber((double)(a->ev_base + a->ev_n)));
	mlreg_doc_set(model, "latest_event_id", cJSON_CreateString(hex));
	return 0;
}

int mlreg_model_adopt(struct mlreg_store *store, const char *name, const struct mlreg_adopt *a)
{
	struct mlreg_lock lk = { 0 };
	char *dir = NULL, *vdir = NULL, *rec_path = NULL;
	char hex[MLREG_HEX_LEN + 1] = "";
	cJSON *model = NULL;
	const char *lid;
	long latest, i;
	int err;

	if ((err = mlreg_name_validate(name)) < 0)
		return err;
	if ((err = lock_new_model(&lk, &dir, &rec_path, store, name)) < 0)
		goto done;
	vdir = xasprintf("%s/versions", dir);
	if (access(rec_path, F_OK) == 0) {
		const char *mine, *theirs;
		if ((err = load_at(&model, dir, name)) < 0)
			goto done;
		/* Description and metadata: the record updated last wins. */
		mine = mlreg_doc_str(model, "last_updated_time", "");
		theirs = mlreg_doc_str(a->model, "last_updated_time", "");
		if (strcmp(theirs, mine) > 0) {
			const cJSON *meta = cJSON_GetObjectItemCaseSensitive(a->model, "metadata");
			mlreg_doc_set(model, "description", cJSON_CreateString(
					      mlreg_doc_str(a->model, "description", "")));
			if (cJSON_IsObject(meta))
				mlreg_doc_set(model, "metadata", cJSON_Duplicate(meta, 1));
			mlreg_doc_set(model, "last_updated_time", cJSON_CreateString(theirs));
		}
		mlreg_former_merge(model, a->model);	/* the remote's records may name them */
	} else {
		model = model_from_remote(name, a->model);
	}
	latest = (long)mlreg_doc_int(model, "latest_version", 0);
	lid = mlreg_doc_str(model, "latest_id", "");
	if (latest != a->base || (a->base > 0 && strcmp(lid, a->base_id) != 0) ||
	    (a->ev_n > 0 && !same_event_base(model, a))) {
		err = mlreg_error_set(MLREG_ECONFLICT, "model '%s' changed in the local store while "
				      "its versions were downloaded; run the download again", name);
		goto done;
	}
	for (i = 0; i < a->n; i++) {
		long k = a->base + 1 + i;
		char *vpath = xasprintf("%s/%ld.json", vdir, k);
		char *ppath = xasprintf("%s/%ld.partial", vdir, k);

		mlreg_version_id(a->bufs[i], a->lens[i], hex);
		err = mlreg_fs_write_atomic(vpath, a->bufs[i], a->lens[i]);
		if (!err && a->partial[i]) {
			char *line = xasprintf("%s %s\n", hex, a->remote);
			err = mlreg_fs_write_atomic(ppath, line, strlen(line));
			free(line);
		} else if (!err && unlink(ppath) < 0 && errno != ENOENT) {
			err = mlreg_error_os("cannot remove '%s'", ppath);
		}
		free(vpath);
		free(ppath);
		if (err)
			goto done;
	}
	if (a->n > 0) {
		mlreg_doc_set(model, "latest_version", cJSON_CreateNumber((double)(a->base + a->n)));
		mlreg_doc_set(model, "latest_id", cJSON_CreateString(hex));
	}
	if (a->ev_n > 0 && (err = adopt_events(model, dir, a)) < 0)
		goto done;
	if ((err = commit_record(&lk, model)) == 0)
		err = mlreg_fs_fsync_dir(dir);
	if (!err)
		err = mlreg_fs_fsync_parent(dir);
	/* after the commit point: the versions index is a cache (6.8) */
	if (!err && a->n > 0 && mlreg_vidx_update_locked(store, name, model) < 0)
		mlreg_error_clear();
done:
	mlreg_lock_release(&lk);
	cJSON_Delete(model);
	free(dir);
	free(vdir);
	free(rec_path);
	return err;
}

int mlreg_version_require_files(const struct mlreg_store *store, const cJSON *version)
{
	const char *name = mlreg_doc_str(version, "model", "");
	long n = (long)mlreg_doc_int(version, "version", 0);
	const cJSON *f;
	char *remote = NULL;
	int missing = 0, err = 0;

	cJSON_ArrayForEach(f, cJSON_GetObjectItemCaseSensitive(version, "files"))
		if (mlreg_is_hex64(mlreg_doc_str(f, "sha256", "")))
			missing += !mlreg_object_exists(store, mlreg_doc_str(f, "sha256", ""));
	if (missing && mlreg_version_partial(store, name, n, mlreg_doc_str(version, "id", ""),
					     &remote))
		err = mlreg_error_set(MLREG_ENOTFOUND, "%s@%ld was downloaded without its files "
				      "(%d not in the local store): run 'mlreg download %s %s@%ld'",
				      name, n, missing, remote, name, n);
	free(remote);
	return err;
}

int mlreg_event_check(const cJSON *rec, const char *name, const cJSON *former, long k)
{
	const cJSON *parent = cJSON_GetObjectItemCaseSensitive(rec, "parent");
	static const char *const strings[] = { "time", "user", "action" };
	size_t i;

	if (!cJSON_IsObject(rec) || !mlreg_record_names_model(rec, name, former) ||
	    mlreg_doc_int(rec, "event", 0) != k)
		return mlreg_error_set(MLREG_ECORRUPT, "event %ld of model '%s' names another "
				       "model or event", k, name);
	if (k == 1 ? !cJSON_IsNull(parent)
		   : !(cJSON_IsString(parent) && mlreg_is_hex64(parent->valuestring)))
		return mlreg_error_set(MLREG_ECORRUPT, "event %ld of model '%s' has a bad "
				       "parent", k, name);
	for (i = 0; i < sizeof(strings) / sizeof(strings[0]); i++)
		if (!cJSON_IsString(cJSON_GetObjectItemCaseSensitive(rec, strings[i])))
			return mlreg_error_set(MLREG_ECORRUPT, "event %ld of model '%s' has no "
					       "'%s'", k, name, strings[i]);
	return 0;
}

int mlreg_event_append(cJSON **out, struct mlreg_store *store, const char *name,
		       const char *user, mlreg_event_apply_fn apply, void *arg)
{
	struct mlreg_lock lk = { 0 };
	cJSON *model = NULL, *rec = NULL, *body = NULL;
	char *dir = NULL, *edir = NULL, *epath = NULL, *text = NULL;
	char hex[MLREG_HEX_LEN + 1], now[40];
	long k;
	int err;

	if (out)
		*out = NULL;
	if ((err = mlreg_name_validate(name)) < 0)
		return err;
	if ((err = lock_model(&lk, &model, store, name)) < 0)
		goto done;
	body = cJSON_CreateObject();
	cJSON_AddStringToObject(body, "user", user);
	if ((err = apply(model, body, arg)) != 0) {
		if (err > 0)
			err = 0;	/* nothing to record */
		goto done;
	}
	k = (long)mlreg_doc_int(model, "latest_event", 0) + 1;
	mlreg_time_now(now, sizeof(now));
	rec = chained_record(model, name, "event", k, "latest_event_id", "time", now, body);
	if ((err = mlreg_event_check(rec, name, NULL, k)) < 0)
		goto done;
	text = mlreg_doc_print(rec);
	mlreg_sha256_hex(text, strlen(text), hex);
	dir = model_dir(store, name);
	edir = xasprintf("%s/events", dir);
	epath = xasprintf("%s/%ld.json", edir, k);
	if (mkdir(edir, 0755) < 0 && errno != EEXIST) {
		err = mlreg_error_os("cannot create '%s'", edir);
		goto done;
	}
	if ((err = mlreg_fs_write_atomic(epath, text, strlen(text))) < 0)
		goto done;
	mlreg_doc_set(model, "latest_event", cJSON_CreateNumber((double)k));
	mlreg_doc_set(model, "latest_event_id", cJSON_CreateString(hex));
	mlreg_doc_set(model, "last_updated_time", cJSON_CreateString(now));
	if ((err = commit_record(&lk, model)) < 0)
		goto done;
	if (out)
		*out = mlreg_version_with_id(rec, hex);
done:
	mlreg_lock_release(&lk);
	cJSON_Delete(model);
	cJSON_Delete(rec);
	cJSON_Delete(body);
	free(dir);
	free(edir);
	free(epath);
	free(text);
	return err;
}

int mlreg_event_read_raw(char **buf, size_t *len, char *hex, const struct mlreg_store *store,
			 const char *name, long k)
{
	char *enc = mlreg_name_encode(name);
	char *path = mlreg_store_path(store, "models/%s/events/%ld.json", enc, k);
	char *what = xasprintf("event %ld of model '%s'", k, name);
	int err = mlreg_fs_read_file(buf, len, path, MLREG_RECORD_MAX, what);

	if (!err)
		mlreg_sha256_hex(*buf, *len, hex);
	free(enc);
	free(path);
	free(what);
	return err;
}

int mlreg_event_list(cJSON **out, const struct mlreg_store *store, const char *name,
		     int fsck_hint)
{
	cJSON *model = NULL, *arr = cJSON_CreateArray();
	char hex[MLREG_HEX_LEN + 1] = "", *enc = NULL;
	long n, k;
	int err;

	*out = NULL;
	if ((err = mlreg_model_load(&model, store, name)) < 0)
		goto done;
	n = (long)mlreg_doc_int(model, "latest_event", 0);
	enc = mlreg_name_encode(name);
	for (k = 1; k <= n; k++) {
		char *path = mlreg_store_path(store, "models/%s/events/%ld.json", enc, k);
		char *what = xasprintf("event %ld of model '%s'", k, name);
		char prev[MLREG_HEX_LEN + 1], *buf = NULL;
		size_t len;
		cJSON *rec = NULL;

		memcpy(prev, hex, sizeof(prev));
		err = mlreg_fs_read_file(&buf, &len, path, MLREG_RECORD_MAX, what);
		if (err == MLREG_ENOTFOUND)
			err = mlreg_error_set(MLREG_ECORRUPT, "%s is missing", what);
		if (!err) {
			mlreg_sha256_hex(buf, len, hex);
			err = mlreg_doc_parse_record(&rec, buf, len, what);
		}
		if (!err)
			err = mlreg_event_check(rec, name, FORMER(model), k);
		if (!err && k > 1 && strcmp(mlreg_doc_str(rec, "parent", ""), prev) != 0)
			err = mlreg_error_set(MLREG_ECORRUPT, "%s does not follow event %ld "
					      "(its parent is not that record's hash)", what, k - 1);
		if (!err)
			cJSON_AddItemToArray(arr, as_named(mlreg_version_with_id(rec, hex), name));
		cJSON_Delete(rec);
		free(buf);
		free(path);
		free(what);
		if (err)
			break;
	}
	if (!err && n > 0 && strcmp(mlreg_doc_str(model, "latest_event_id", ""), hex) != 0)
		err = mlreg_error_set(MLREG_ECORRUPT, "event %ld of model '%s' is not the one "
				      "its model record names (latest_event_id)", n, name);
	if (err < 0 && err != MLREG_EOS)
		err = mlreg_error_set(MLREG_ECORRUPT, "%s%s", mlreg_error_message(),
				      fsck_hint ? "; run 'mlreg fsck'" : "");
done:
	if (!err) {
		*out = arr;
		arr = NULL;
	}
	cJSON_Delete(arr);
	cJSON_Delete(model);
	free(enc);
	return err;
}

/*
 * Renamed models (store-format.md 5.2).  A rename moves models/ENC(OLD) to
 * models/ENC(NEW) in one rename(2), so every version, event and partial
 * marker moves together and no record is rewritten: a record keeps the
 * "model" it was written with (its bytes are its id), and the model
 * record's "former_names" lists the names it may hold.  models/ENC(OLD)
 * then holds a redirect, {"name", "renamed_to", "time", "user"}, which is
 * not a model: loading it fails, naming the model's name at the end of
 * the chain of redirects.
 */

/* How many redirects a name is followed through (a loop stops there too). */
#define REDIRECT_HOPS 32

int mlreg_redirect_check(const cJSON *rec, const char *name)
{
	const char *to = mlreg_doc_str(rec, "renamed_to", NULL);

	if (!cJSON_IsObject(rec) || strcmp(mlreg_doc_str(rec, "name", ""), name) != 0 || !to ||
	    mlreg_name_validate(to) < 0 || !strcmp(to, name) ||
	    !cJSON_IsString(cJSON_GetObjectItemCaseSensitive(rec, "time")) ||
	    !cJSON_IsString(cJSON_GetObjectItemCaseSensitive(rec, "user")) ||
	    cJSON_GetObjectItemCaseSensitive(rec, "latest_version"))
		return mlreg_error_set(MLREG_ECORRUPT, "the redirect of model '%s' (a renamed "
				       "model) is malformed", name);
	return 0;
}

/*
 * Returns the error that loading name, whose record rec is a redirect in
 * the models directory root, gives: MLREG_ENOTFOUND naming the model at
 * the end of its redirects ("use 'NEW'"), or saying it no longer exists
 * (*dangling set); MLREG_ECORRUPT for a malformed redirect, one that does
 * not end within REDIRECT_HOPS, or an unreadable record on the way.
 */
static int resolve_redirect(const char *root, const char *name, const cJSON *rec,
			    int *dangling)
{
	const char *to = mlreg_doc_str(rec, "renamed_to", "");
	char *cur, *head;
	int hops, err = 0;

	*dangling = 0;
	if (mlreg_redirect_check(rec, name) < 0)
		return mlreg_error_set(MLREG_ECORRUPT, "%s; run 'mlreg fsck'", mlreg_error_message());
	head = xasprintf("model '%s' was renamed to '%s' (on %s by %s)", name, to,
			 mlreg_doc_str(rec, "time", ""), mlreg_doc_str(rec, "user", ""));
	cur = xstrdup(to);
	for (hops = 1;; hops++) {
		char *enc = mlreg_name_encode(cur);
		char *path = xasprintf("%s/%s/model.json", root, enc);
		char *what = xasprintf("the record of model '%s'", cur);
		const char *next;
		cJSON *r = NULL;

		err = read_record(&r, path, what);
		free(enc);
		free(path);
		free(what);
		if (err == MLREG_ENOTFOUND) {
			*dangling = 1;
			err = mlreg_error_set(MLREG_ENOTFOUND, "%s%s%s%s, which no longer exists",
					      head, hops > 1 ? " and later to '" : "",
					      hops > 1 ? cur : "", hops > 1 ? "'" : "");
			break;
		}
		if (err < 0)
			break;
		if (!cJSON_GetObjectItemCaseSensitive(r, "renamed_to")) {
			err = mlreg_error_set(MLREG_ENOTFOUND, "%s%s%s%s; use '%s'", head,
					      hops > 1 ? " and later to '" : "", hops > 1 ? cur : "",
					      hops > 1 ? "'" : "", cur);
			cJSON_Delete(r);
			break;
		}
		if (mlreg_redirect_check(r, cur) < 0 || hops >= REDIRECT_HOPS) {
			err = mlreg_error_set(MLREG_ECORRUPT, "%s, but the redirects from '%s' are "
					      "malformed, loop or go on for more than %d renames; "
					      "run 'mlreg fsck'", head, to, REDIRECT_HOPS);
			cJSON_Delete(r);
			break;
		}
		next = mlreg_doc_str(r, "renamed_to", "");
		free(cur);
		cur = xstrdup(next);
		cJSON_Delete(r);
	}
	free(cur);
	free(head);
	return err;
}

/* Returns the models directory holding dir (models/ENC), malloc'd. */
static char *models_root(const char *dir)
{
	const char *slash = strrchr(dir, '/');

	return slash ? xstrndup(dir, (size_t)(slash - dir)) : xstrdup(".");
}

static int redirect_error(const char *dir, const char *name, const cJSON *rec)
{
	char *root = models_root(dir);
	int dangling, err = resolve_redirect(root, name, rec, &dangling);

	free(root);
	return err;
}

int mlreg_redirect_verify(const struct mlreg_store *store, const char *name, const cJSON *rec)
{
	char *root = mlreg_store_path(store, "models");
	int dangling, err = resolve_redirect(root, name, rec, &dangling);

	free(root);
	if (err == MLREG_ENOTFOUND && !dangling) {
		mlreg_error_clear();
		return 0;
	}
	return err;
}

/*
 * Returns 1 after setting the message when rec, the record in dir
 * (models/ENC(name)), is the record of another model X that has no record
 * of its own any more: a rename of X to name stopped between its
 * directory's rename and its commit.  Returns 0 otherwise.
 */
static int interrupted_rename(const char *dir, const char *name, const cJSON *rec)
{
	const char *x = mlreg_doc_str(rec, "name", "");
	char *root, *enc, *path;
	int yes;

	if (mlreg_name_validate(x) < 0 || !strcmp(x, name)) {
		mlreg_error_clear();
		return 0;
	}
	root = models_root(dir);
	enc = mlreg_name_encode(x);
	path = xasprintf("%s/%s/model.json", root, enc);
	yes = access(path, F_OK) < 0 && errno == ENOENT;
	if (yes)
		mlreg_error_set(MLREG_ECORRUPT, "a rename of model '%s' to '%s' was interrupted; "
				"run 'mlreg rename %s %s' again", x, name, x, name);
	free(root);
	free(enc);
	free(path);
	return yes;
}

int mlreg_model_is_redirect(const struct mlreg_store *store, const char *name)
{
	char *dir = model_dir(store, name), *path = xasprintf("%s/model.json", dir);
	cJSON *rec = NULL;
	int yes = read_record(&rec, path, path) == 0 &&
		  cJSON_GetObjectItemCaseSensitive(rec, "renamed_to") != NULL;

	mlreg_error_clear();
	cJSON_Delete(rec);
	free(dir);
	free(path);
	return yes;
}

int mlreg_rename_interrupted(const struct mlreg_store *store, const char *name, const cJSON *rec)
{
	char *dir = model_dir(store, name);
	int yes = interrupted_rename(dir, name, rec);

	free(dir);
	return yes;
}

/* Returns 1 when the array former (may be NULL) holds the string name. */
static int former_has(const cJSON *former, const char *name)
{
	const cJSON *f;

	cJSON_ArrayForEach(f, former)
		if (cJSON_IsString(f) && !strcmp(f->valuestring, name))
			return 1;
	return 0;
}

void mlreg_former_merge(cJSON *model, const cJSON *other)
{
	const char *name = mlreg_doc_str(model, "name", "");
	const cJSON *f;

	cJSON_ArrayForEach(f, FORMER(other)) {
		cJSON *mine = FORMER(model);
		if (!cJSON_IsString(f) || mlreg_name_validate(f->valuestring) < 0 ||
		    !strcmp(f->valuestring, name) || former_has(mine, f->valuestring))
			continue;
		if (!cJSON_IsArray(mine)) {
			mine = cJSON_CreateArray();
			mlreg_doc_set(model, "former_names", mine);
		}
		cJSON_AddItemToArray(mine, cJSON_CreateString(f->valuestring));
	}
	mlreg_error_clear();
}

/*
 * Returns 0 after emptying the directory dir of models/ENC(name) that a
 * rename replaces: a redirect's (its record and lock file) or an
 * interrupted create's (a lock file, empty versions/ and events/), so
 * that rename(2) can put a model's directory in its place; MLREG_ECONFLICT
 * when it holds anything else (the rename(2) would fail: it is checked
 * there again).
 */
static int empty_model_dir(const char *dir, const char *name)
{
	static const char *const files[] = { "model.json", "model.json.lock" };
	static const char *const dirs[] = { "versions", "events" };
	size_t i;

	for (i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
		char *p = xasprintf("%s/%s", dir, files[i]);
		int bad = unlink(p) < 0 && errno != ENOENT;
		free(p);
		if (bad)
			return mlreg_error_os("cannot replace the redirect of model '%s'", name);
	}
	for (i = 0; i < sizeof(dirs) / sizeof(dirs[0]); i++) {
		char *p = xasprintf("%s/%s", dir, dirs[i]);
		int bad = rmdir(p) < 0 && errno != ENOENT;
		free(p);
		if (bad)
			return mlreg_error_set(MLREG_ECONFLICT, "cannot rename to '%s': '%s' holds "
					       "records but no model record (an interrupted "
					       "download?); remove it first", name, dir);
	}
	return 0;
}

/*
 * Returns 0 after checking that name may become a model by a rename: free,
 * a redirect (*replace set), or an interrupted create without records
 * (*replace set); sets *resume to 1 when models/ENC(name) holds old's
 * record (the directory was moved, not committed), 2 when it is the model
 * renamed from old, committed, and old has no record (no redirect yet).
 * MLREG_EEXISTS when name is a model.
 */
static int rename_target(int *replace, int *resume, const struct mlreg_store *store,
			 const char *old, const char *name)
{
	char *dir = model_dir(store, name), *odir = model_dir(store, old);
	char *path = xasprintf("%s/model.json", dir), *opath = xasprintf("%s/model.json", odir);
	cJSON *rec = NULL;
	struct stat st;
	int err;

	*replace = *resume = 0;
	if (lstat(dir, &st) < 0) {
		err = errno == ENOENT ? 0 : mlreg_error_os("cannot read '%s'", dir);
		goto done;
	}
	err = read_record(&rec, path, "the record of the model to rename to");
	if (err == MLREG_ENOTFOUND) {	/* an interrupted create's */
		mlreg_error_clear();
		*replace = 1;
		err = 0;
		goto done;
	}
	if (err < 0)
		goto done;
	if (cJSON_GetObjectItemCaseSensitive(rec, "renamed_to")) {
		*replace = 1;
	} else if (!strcmp(mlreg_doc_str(rec, "name", ""), old) && access(opath, F_OK) < 0) {
		*resume = 1;
	} else if (!strcmp(mlreg_doc_str(rec, "name", ""), name) &&
		   former_has(FORMER(rec), old) && access(opath, F_OK) < 0) {
		*resume = 2;
	} else {
		err = mlreg_error_set(MLREG_EEXISTS, "model '%s' exists", name);
	}
done:
	cJSON_Delete(rec);
	free(dir);
	free(odir);
	free(path);
	free(opath);
	return err;
}

/*
 * Returns 0 after adding the event of the rename (action "rename") to
 * model, the renamed model's record about to be committed, writing it in
 * dir (its new directory); as mlreg_event_append() writes events.
 */
static int rename_event(cJSON *model, const char *dir, const char *old, const char *name,
			const char *user, const char *message, const char *now)
{
	cJSON *body = cJSON_CreateObject(), *rec;
	char hex[MLREG_HEX_LEN + 1], *text, *edir, *epath;
	long k = (long)mlreg_doc_int(model, "latest_event", 0) + 1;
	int err;

	cJSON_AddStringToObject(body, "user", user);
	cJSON_AddStringToObject(body, "action", "rename");
	cJSON_AddStringToObject(body, "from", old);
	cJSON_AddStringToObject(body, "to", name);
	cJSON_AddStringToObject(body, "message", message ? message : "");
	rec = chained_record(model, name, "event", k, "latest_event_id", "time", now, body);
	cJSON_Delete(body);
	if ((err = mlreg_event_check(rec, name, NULL, k)) < 0) {
		cJSON_Delete(rec);
		return err;
	}
	text = mlreg_doc_print(rec);
	cJSON_Delete(rec);
	mlreg_sha256_hex(text, strlen(text), hex);
	edir = xasprintf("%s/events", dir);
	epath = xasprintf("%s/%ld.json", edir, k);
	if (mkdir(edir, 0755) < 0 && errno != EEXIST)
		err = mlreg_error_os("cannot create '%s'", edir);
	else
		err = mlreg_fs_write_atomic(epath, text, strlen(text));
	if (!err) {
		mlreg_doc_set(model, "latest_event", cJSON_CreateNumber((double)k));
		mlreg_doc_set(model, "latest_event_id", cJSON_CreateString(hex));
	}
	free(text);
	free(edir);
	free(epath);
	return err;
}

/* Points lk, held on the lock of dir_from's model.json, at the same file in dir_to. */
static void lock_moved(struct mlreg_lock *lk, const char *dir_to)
{
	free(lk->path);
	free(lk->lockpath);
	lk->path = xasprintf("%s/model.json", dir_to);
	lk->lockpath = xasprintf("%s.lock", lk->path);
}

int mlreg_model_rename(cJSON **out, struct mlreg_store *store, const char *old,
		       const char *name, const char *user, const char *message)
{
	struct mlreg_lock lk = { 0 }, olk = { 0 };
	char *odir = NULL, *ndir = NULL, *orec = NULL, *root = NULL;
	cJSON *model = NULL, *redirect = NULL;
	char now[40];
	int gc = -1, replace, resume, err;

	if (out)
		*out = NULL;
	if ((err = mlreg_name_validate(old)) < 0 || (err = mlreg_name_validate(name)) < 0)
		return err;
	if (!strcmp(old, name))
		return mlreg_error_set(MLREG_EINVALID, "cannot rename model '%s' to itself", old);
	/* Records move: gc must not read a half-moved model (section 7.1). */
	if ((gc = mlreg_object_lock(store, 0, mlreg_lock_timeout())) < 0)
		return gc;
	odir = model_dir(store, old);
	ndir = model_dir(store, name);
	orec = xasprintf("%s/model.json", odir);
	root = mlreg_store_path(store, "models");
	if (read_record(&redirect, orec, "the record of the model to rename") == 0 &&
	    cJSON_GetObjectItemCaseSensitive(redirect, "renamed_to")) {
		err = redirect_error(odir, old, redirect);	/* renamed already */
		goto done;
	}
	cJSON_Delete(redirect);
	redirect = NULL;
	mlreg_error_clear();
	if ((err = rename_target(&replace, &resume, store, old, name)) < 0)
		goto done;
	if (resume == 1) {
		/* The directory moved; its record, still old's, was not committed. */
		char *npath = xasprintf("%s/model.json", ndir);
		err = mlreg_lock_acquire(&lk, npath, mlreg_lock_timeout());
		free(npath);
		if (!err)
			err = read_record(&model, lk.path, "the record of the renamed model");
		if (!err && (strcmp(mlreg_doc_str(model, "name", ""), old) != 0 ||
			     cJSON_GetObjectItemCaseSensitive(model, "renamed_to")))
			err = mlreg_error_set(MLREG_ECONFLICT, "model '%s' changed while it was "
					      "renamed; run the rename again", name);
		if (err < 0)
			goto done;
	} else if (resume == 0) {
		if ((err = lock_model(&lk, &model, store, old)) < 0)
			goto done;
		if (replace && (err = empty_model_dir(ndir, name)) < 0)
			goto done;
		if (rename(odir, ndir) < 0) {
			err = errno == ENOTEMPTY || errno == EEXIST ?
				mlreg_error_set(MLREG_ECONFLICT, "cannot rename model '%s' to '%s': "
						"'%s' is in use; try again", old, name, ndir) :
				mlreg_error_os("cannot rename '%s' to '%s'", odir, ndir);
			goto done;
		}
		lock_moved(&lk, ndir);
	}
	/*
	 * Old's lock before the commit: a writer of old that waited on the
	 * lock that moved retries on old's path and waits here, then finds
	 * the redirect.
	 */
	if (mkdir(odir, 0755) < 0 && errno != EEXIST) {
		err = mlreg_error_os("cannot create '%s'", odir);
		goto done;
	}
	if ((err = mlreg_lock_acquire(&olk, orec, mlreg_lock_timeout())) < 0 ||
	    (err = mlreg_fs_fsync_dir(root)) < 0)	/* the move, and old's directory */
		goto done;
	if (access(orec, F_OK) == 0) {
		err = mlreg_error_set(MLREG_ECONFLICT, "model '%s' was created again while it was "
				      "renamed to '%s'", old, name);
		goto done;
	}
	mlreg_time_now(now, sizeof(now));
	if (resume < 2) {
		cJSON *former = FORMER(model);
		mlreg_doc_set(model, "name", cJSON_CreateString(name));
		if (!cJSON_IsArray(former)) {
			former = cJSON_CreateArray();
			mlreg_doc_set(model, "former_names", former);
		}
		if (!former_has(former, old))
			cJSON_AddItemToArray(former, cJSON_CreateString(old));
		for (int i = cJSON_GetArraySize(former) - 1; i >= 0; i--) {	/* back to an old name */
			const cJSON *f = cJSON_GetArrayItem(former, i);
			if (cJSON_IsString(f) && !strcmp(f->valuestring, name))
				cJSON_DeleteItemFromArray(former, i);
		}
		mlreg_doc_set(model, "last_updated_time", cJSON_CreateString(now));
		if ((err = rename_event(model, ndir, old, name, user, message, now)) < 0 ||
		    (err = commit_record(&lk, model)) < 0 || (err = mlreg_fs_fsync_dir(ndir)) < 0)
			goto done;
	}
	redirect = cJSON_CreateObject();
	cJSON_AddStringToObject(redirect, "name", old);
	cJSON_AddStringToObject(redirect, "renamed_to", name);
	cJSON_AddStringToObject(redirect, "time", now);
	cJSON_AddStringToObject(redirect, "user", user);
	if ((err = commit_record(&olk, redirect)) < 0 || (err = mlreg_fs_fsync_dir(odir)) < 0 ||
	    (err = mlreg_fs_fsync_dir(root)) < 0)
		goto done;
	mlreg_lock_release(&lk);
	if (out) {
		cJSON_Delete(model);
		model = NULL;
		err = mlreg_model_load(out, store, name);
	}
done:
	mlreg_lock_release(&lk);
	mlreg_lock_release(&olk);
	mlreg_object_unlock(gc);
	cJSON_Delete(model);
	cJSON_Delete(redirect);
	free(odir);
	free(ndir);
	free(orec);
	free(root);
	return err;
}

/* Deleted versions and models: tombstones (store-format.md 6.7). */

int mlreg_version_id(const char *buf, size_t len, char *hex)
{
	cJSON *rec = NULL;
	int tomb = 0;

	/* Fast path: a record without the word cannot be a tombstone. */
	if (memmem(buf, len, "\"deleted\"", 9) &&
	    mlreg_doc_parse_record(&rec, buf, len, "version record") == 0) {
		const char *id = mlreg_doc_str(rec, "id", "");
		if (cJSON_IsObject(cJSON_GetObjectItemCaseSensitive(rec, "deleted")) &&
		    mlreg_is_hex64(id)) {
			memcpy(hex, id, MLREG_HEX_LEN + 1);
			tomb = 1;
		}
	}
	mlreg_error_clear();
	cJSON_Delete(rec);
	if (!tomb)
		mlreg_sha256_hex(buf, len, hex);
	return tomb;
}

const cJSON *mlreg_record_deleted(const cJSON *rec)
{
	const cJSON *d = cJSON_GetObjectItemCaseSensitive(rec, "deleted");

	return cJSON_IsObject(d) ? d : NULL;
}

int mlreg_version_require_live(const struct mlreg_store *store, const char *name, long n)
{
	char hex[MLREG_HEX_LEN + 1], *enc = mlreg_name_encode(name), *buf = NULL;
	cJSON *rec = NULL;
	const cJSON *del;
	size_t len;
	int err = 0;

	if (mlreg_version_read_raw(&buf, &len, hex, store, enc, n) == 0 &&
	    memmem(buf, len, "\"deleted\"", 9) &&
	    mlreg_doc_parse_record(&rec, buf, len, "the record") == 0 &&
	    (del = mlreg_record_deleted(rec)) != NULL)
		err = mlreg_error_set(MLREG_ENOTFOUND, "%s@%ld was deleted by %s on %s",
				      name, n, mlreg_doc_str(del, "user", "?"),
				      mlreg_doc_str(del, "time", "?"));
	else
		mlreg_error_clear();	/* unreadable: its reader says so */
	cJSON_Delete(rec);
	free(buf);
	free(enc);
	return err;
}

int mlreg_model_require_live(const cJSON *model)
{
	const cJSON *del = mlreg_record_deleted(model);
	const char *name = mlreg_doc_str(model, "name", "?");

	if (!del)
		return 0;
	return mlreg_error_set(MLREG_ENOTFOUND, "model '%s' was deleted by %s on %s; 'mlreg "
			       "create %s' makes it again", name, mlreg_doc_str(del, "user", "?"),
			       mlreg_doc_str(del, "time", "?"), name);
}

/* Returns a new "deleted" object: when, who and why. */
static cJSON *deleted_object(const char *now, const char *user, const char *message)
{
	cJSON *d = cJSON_CreateObject();

	cJSON_AddStringToObject(d, "time", now);
	cJSON_AddStringToObject(d, "user", user);
	cJSON_AddStringToObject(d, "message", message ? message : "");
	return d;
}

/*
 * Returns 0 after replacing version n's record (in the directory dir) by
 * its tombstone, held lock and all; nothing is written when it is one
 * already.  *tomb gets the tombstone written, with its id, or NULL.
 */
static int write_tombstone(cJSON **tomb, struct mlreg_store *store, const char *name,
			   const cJSON *former, const char *dir, long n, const char *now,
			   const char *user, const char *message)
{
	char hex[MLREG_HEX_LEN + 1], *enc = mlreg_name_encode(name), *buf = NULL;
	char *text = NULL, *vpath = NULL;
	cJSON *rec = NULL, *t = NULL, *back = NULL;
	size_t len;
	int err;

	*tomb = NULL;
	if ((err = mlreg_version_read_raw(&buf, &len, hex, store, enc, n)) < 0) {
		if (err == MLREG_ENOTFOUND)
			err = mlreg_error_set(MLREG_ECORRUPT, "the record of version %ld of model "
					      "'%s' is missing; run 'mlreg fsck'", n, name);
		goto done;
	}
	if ((err = mlreg_version_parse(&rec, buf, len, name, former, n)) < 0) {
		err = mlreg_error_set(MLREG_ECORRUPT, "%s; run 'mlreg fsck'", mlreg_error_message());
		goto done;
	}
	if (mlreg_record_deleted(rec))
		goto done;	/* deleted already */
	t = cJSON_CreateObject();
	cJSON_AddStringToObject(t, "model", name);
	cJSON_AddNumberToObject(t, "version", (double)n);
	cJSON_AddItemToObject(t, "parent", cJSON_Duplicate(
				      cJSON_GetObjectItemCaseSensitive(rec, "parent"), 1));
	cJSON_AddStringToObject(t, "id", hex);
	cJSON_AddItemToObject(t, "deleted", deleted_object(now, user, message));
	cJSON_AddNumberToObject(t, "size", 0);
	cJSON_AddArrayToObject(t, "files");
	text = mlreg_doc_print(t);
	/* Never write what every reader would refuse (a user with a bad byte). */
	if ((err = mlreg_version_parse(&back, text, strlen(text), name, NULL, n)) < 0) {
		err = mlreg_error_set(MLREG_EINVALID, "cannot delete %s@%ld: %s", name, n,
				      mlreg_error_message());
		goto done;
	}
	vpath = xasprintf("%s/versions/%ld.json", dir, n);
	if ((err = mlreg_fs_write_atomic(vpath, text, strlen(text))) < 0)
		goto done;
	/* a partial version's marker names the old id: it applies no more */
	if ((err = mlreg_version_mark_complete(store, name, n)) < 0)
		goto done;
	*tomb = mlreg_version_with_id(t, hex);
done:
	cJSON_Delete(rec);
	cJSON_Delete(t);
	cJSON_Delete(back);
	free(text);
	free(vpath);
	free(buf);
	free(enc);
	return err;
}

int mlreg_version_delete(cJSON **out, struct mlreg_store *store, const char *name,
			 const long *v, size_t nv, int whole, const char *user,
			 const char *message)
{
	struct mlreg_lock lk = { 0 };
	cJSON *model = NULL, *arr = cJSON_CreateArray(), *tomb;
	char *dir = NULL, now[40];
	long latest, k;
	size_t i, count;
	int err, gc = -1;

	if (out)
		*out = NULL;
	if ((err = mlreg_name_validate(name)) < 0)
		goto out;
	/* as a writer: gc never reads a record half replaced (7.1) */
	if ((gc = mlreg_object_lock(store, 0, mlreg_lock_timeout())) < 0) {
		err = gc;
		goto out;
	}
	if ((err = lock_model(&lk, &model, store, name)) < 0)
		goto done;
	latest = (long)mlreg_doc_int(model, "latest_version", 0);
	count = whole ? (size_t)latest : nv;
	/* Check all first: a refusal writes nothing. */
	for (i = 0; i < count; i++) {
		const cJSON *a;
		k = whole ? (long)i + 1 : v[i];
		if (k < 1 || k > latest) {
			err = mlreg_error_set(MLREG_ENOTFOUND, "version %ld of model '%s' not found",
					      k, name);
			goto done;
		}
		cJSON_ArrayForEach(a, cJSON_GetObjectItemCaseSensitive(model, "aliases"))
			if (cJSON_IsNumber(a) && (long)a->valuedouble == k) {
				err = mlreg_error_set(MLREG_ECONFLICT, "cannot delete %s@%ld: "
						      "alias '%s' names it (--force removes "
						      "its aliases)", name, k, a->string);
				goto done;
			}
	}
	dir = model_dir(store, name);
	mlreg_time_now(now, sizeof(now));
	/* before any tombstone: no index may say a deleted version is live (6.8) */
	if (count > 0)
		mlreg_vidx_drop(store, name);
	for (i = 0; i < count; i++) {
		k = whole ? (long)i + 1 : v[i];
		if ((err = write_tombstone(&tomb, store, name, FORMER(model), dir, k, now, user,
					   message)) < 0)
			goto done;
		if (tomb)
			cJSON_AddItemToArray(arr, tomb);
	}
	/* Last, so that a deletion killed before this is finished by a rerun. */
	if (whole && !mlreg_record_deleted(model)) {
		mlreg_doc_set(model, "deleted", deleted_object(now, user, message));
		mlreg_doc_set(model, "last_updated_time", cJSON_CreateString(now));
		err = commit_record(&lk, model);
	}
	if (!err && !whole && count > 0 && mlreg_vidx_update_locked(store, name, model) < 0)
		mlreg_error_clear();	/* the next listing rebuilds it */
done:
	mlreg_lock_release(&lk);
	mlreg_object_unlock(gc);
out:
	if (!err && out) {
		*out = arr;
		arr = NULL;
	}
	cJSON_Delete(arr);
	cJSON_Delete(model);
	free(dir);
	return err;
}
