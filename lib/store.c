/*
 * store.c - the store: opening, paths, the writers' lock, atomic files
 * and the version token. See store.h for the layout and the file
 * formats, store_impl.h for how the rest is split.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <time.h>
#include <unistd.h>

#include "store_impl.h"

void
store_warnf(struct store *st, const char *fmt, ...)
{
	char msg[MS_ERRLEN];
	va_list ap;

	if (st == NULL || st->warn == NULL)
		return;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	st->warn(st->warnarg, msg);
}

char *
store_join(const char *a, const char *b)
{
	struct ms_buf p = { 0 };

	if (ms_buf_printf(&p, "%s/%s", a, b) == -1) {
		ms_buf_free(&p);
		return NULL;
	}
	return ms_buf_steal(&p, NULL);
}

/* ---- opening, locking, files -------------------------------------- */

struct store *
store_open(const char *dir, int flags, struct ms_err *e)
{
	struct store *st;
	struct stat sb;

	if (dir == NULL || *dir == '\0') {
		ms_err_set(e, "no store directory given");
		return NULL;
	}
	if ((st = calloc(1, sizeof(*st))) == NULL) {
		ms_err_set(e, "out of memory");
		return NULL;
	}
	st->lockfd = -1;
	st->flags = flags;
	st->snap_max = STORE_SNAP_MAX;
	ftab_init(&st->ft);
	if ((st->dir = strdup(dir)) == NULL ||
	    (st->snapdir = store_join(dir, SNAPDIR)) == NULL) {
		ms_err_set(e, "out of memory");
		goto fail;
	}
	if ((flags & STORE_CREATE) && mkdir(dir, 0777) == -1 &&
	    errno != EEXIST) {
		ms_err_set(e, "%s:", dir);
		goto fail;
	}
	if (stat(dir, &sb) == -1) {
		ms_err_set(e, "%s:", dir);
		goto fail;
	}
	if (!S_ISDIR(sb.st_mode)) {
		ms_err_set(e, "%s: not a directory", dir);
		goto fail;
	}
	if ((flags & STORE_CREATE) && mkdir(st->snapdir, 0777) == -1 &&
	    errno != EEXIST) {
		ms_err_set(e, "%s:", st->snapdir);
		goto fail;
	}
	return st;
fail:
	store_close(st);
	return NULL;
}

void
store_close(struct store *st)
{
	if (st == NULL)
		return;
	store_unlock(st);
	store_memo_free(st);
	hindex_free(st->hidx);
	free(st->dir);
	free(st->snapdir);
	free(st);
}

const char *
store_dir(const struct store *st)
{
	return st->dir;
}

void
store_set_warn(struct store *st, store_warn_fn fn, void *arg)
{
	st->warn = fn;
	st->warnarg = arg;
}

void
store_set_snap_max(struct store *st, size_t max)
{
	st->snap_max = max == 0 || max > STORE_SNAP_MAX ? STORE_SNAP_MAX : max;
}

char *
store_path(const struct store *st, const char *name)
{
	return store_join(st->dir, name);
}

/* Remove what killed writers left: only a writer holding the lock calls
 * this, so no .tmp-* file is in use. */
static void
clean_tmp(const char *dir)
{
	DIR *d;
	struct dirent *de;

	if ((d = opendir(dir)) == NULL)
		return;
	while ((de = readdir(d)) != NULL)
		if (strncmp(de->d_name, TMPPREFIX, strlen(TMPPREFIX)) == 0)
			unlinkat(dirfd(d), de->d_name, 0);
	closedir(d);
}

int
store_lock(struct store *st, int timeout_s, struct ms_err *e)
{
	int64_t deadline;
	char *p;
	int fd;

	if (!(st->flags & STORE_CREATE))
		return ms_err_set(e, "%s: store opened read-only", st->dir);
	if (st->lockfd != -1)
		return 0;
	if ((p = store_path(st, "lock")) == NULL)
		return ms_err_set(e, "out of memory");
	fd = open(p, O_RDWR | O_CREAT | O_CLOEXEC, 0666);
	if (fd == -1) {
		ms_err_set(e, "%s:", p);
		free(p);
		return -1;
	}
	deadline = ms_now_ns() + (int64_t)timeout_s * 1000000000LL;
	for (;;) {
		struct timespec ts = { 0, 20000000 };

		if (flock(fd, LOCK_EX | LOCK_NB) == 0)
			break;
		if (errno == EINTR)
			continue;
		if (errno != EWOULDBLOCK) {
			ms_err_set(e, "%s: flock:", p);
			goto fail;
		}
		if (ms_now_ns() >= deadline) {
			ms_err_set(e, "%s: another writer holds the lock "
			    "(waited %d s)", p, timeout_s);
			goto fail;
		}
		nanosleep(&ts, NULL);
	}
	free(p);
	st->lockfd = fd;
	clean_tmp(st->dir);
	clean_tmp(st->snapdir);
	return 0;
fail:
	close(fd);
	free(p);
	return -1;
}

void
store_unlock(struct store *st)
{
	if (st->lockfd != -1) {
		close(st->lockfd);	/* releases the flock */
		st->lockfd = -1;
	}
}

int
store_need_lock(struct store *st, struct ms_err *e)
{
	if (st->lockfd == -1)
		return ms_err_set(e, "%s: the store is not locked", st->dir);
	return 0;
}

int
store_write_all(int fd, const char *p, size_t n)
{
	while (n > 0) {
		ssize_t w = write(fd, p, n);

		if (w == -1) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		p += w;
		n -= (size_t)w;
	}
	return 0;
}

int
store_fsync_dir(const char *dir, struct ms_err *e)
{
	int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);

	if (fd == -1)
		return ms_err_set(e, "%s:", dir);
	if (fsync(fd) == -1 && errno != EINVAL) {
		ms_err_set(e, "%s: fsync:", dir);
		close(fd);
		return -1;
	}
	close(fd);
	return 0;
}

/*
 * A new temporary file in dir (".tmp-" and 8 letters or digits), made
 * with mode 0666 less the umask, as any file a program writes: its fd,
 * and its path in *tmp. -1 and e on error.
 */
int
store_tmp_open(const char *dir, char **tmp, struct ms_err *e)
{
	static const char digits[] = "abcdefghijklmnopqrstuvwxyz0123456789";
	uint64_t x = (uint64_t)ms_now_ns() ^ ((uint64_t)getpid() << 32);
	int fd, tries;

	for (tries = 0; tries < 100; tries++) {
		char name[sizeof(TMPPREFIX) + 8];
		size_t i;

		x = store_hash(&x, sizeof(x)) + (uint64_t)tries;
		memcpy(name, TMPPREFIX, sizeof(TMPPREFIX) - 1);
		for (i = 0; i < 8; i++)
			name[sizeof(TMPPREFIX) - 1 + i] =
			    digits[(x >> (6 * i)) % 36];
		name[sizeof(name) - 1] = '\0';
		if ((*tmp = store_join(dir, name)) == NULL)
			return ms_err_set(e, "out of memory");
		fd = open(*tmp, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0666);
		if (fd != -1)
			return fd;
		free(*tmp);
		*tmp = NULL;
		if (errno != EEXIST)
			break;
	}
	return ms_err_set(e, "cannot create a file in %s:", dir);
}

/* The temporary file fd is to replace dst: if dst's mode is tighter
 * than the umask's (a file the admin closed to others), it keeps it. */
int
store_tmp_mode(int fd, const char *dst, struct ms_err *e)
{
	struct stat old, cur;

	if (stat(dst, &old) == -1 || fstat(fd, &cur) == -1)
		return 0;	/* a new file: the umask's mode */
	if ((cur.st_mode & old.st_mode & 0777) != (cur.st_mode & 0777) &&
	    fchmod(fd, cur.st_mode & old.st_mode & 0777) == -1)
		return ms_err_set(e, "%s:", dst);
	return 0;
}

/* Write, fsync and close a temporary file; on error it is removed. */
int
store_tmp_finish(int fd, char *tmp, const char *data, size_t len,
    struct ms_err *e)
{
	if ((len > 0 && store_write_all(fd, data, len) == -1) ||
	    fsync(fd) == -1) {
		ms_err_set(e, "%s:", tmp);
		close(fd);
		unlink(tmp);
		return -1;
	}
	if (close(fd) == -1) {
		ms_err_set(e, "%s:", tmp);
		unlink(tmp);
		return -1;
	}
	return 0;
}

/* Replace dir/name by data, atomically and durably. */
int
store_atomic_write(const char *dir, const char *name, const char *data,
    size_t len, struct ms_err *e)
{
	char *tmp, *dst;
	int fd;

	if ((dst = store_join(dir, name)) == NULL)
		return ms_err_set(e, "out of memory");
	if ((fd = store_tmp_open(dir, &tmp, e)) == -1) {
		free(dst);
		return -1;
	}
	if (store_tmp_mode(fd, dst, e) == -1) {
		close(fd);
		unlink(tmp);
		free(tmp);
		free(dst);
		return -1;
	}
	if (store_tmp_finish(fd, tmp, data, len, e) == -1) {
		free(tmp);
		free(dst);
		return -1;
	}
	if (rename(tmp, dst) == -1) {
		ms_err_set(e, "%s:", dst);
		unlink(tmp);
		free(tmp);
		free(dst);
		return -1;
	}
	free(tmp);
	free(dst);
	return store_fsync_dir(dir, e);
}

/* ---- the version -------------------------------------------------- */

static uint64_t
dir_sum(const char *dir)
{
	uint64_t sum = 0;
	struct dirent *de;
	DIR *d;

	if ((d = opendir(dir)) == NULL)
		return 0;
	while ((de = readdir(d)) != NULL) {
		struct stat sb;
		uint64_t h;
		long long f[4];

		if (de->d_name[0] == '.' || strcmp(de->d_name, "lock") == 0)
			continue;
		if (fstatat(dirfd(d), de->d_name, &sb, AT_SYMLINK_NOFOLLOW)
		    == -1 || S_ISDIR(sb.st_mode))
			continue;
		f[0] = (long long)sb.st_ino;
		f[1] = (long long)sb.st_size;
		f[2] = (long long)sb.st_mtim.tv_sec;
		f[3] = (long long)sb.st_mtim.tv_nsec;
		h = store_hash(de->d_name, strlen(de->d_name));
		h ^= store_hash(f, sizeof(f)) * 0x9e3779b97f4a7c15ULL;
		sum += h;	/* the order readdir gives does not matter */
	}
	closedir(d);
	return sum;
}

int
store_version(struct store *st, char *buf, size_t len)
{
	uint64_t a, b;

	if (buf == NULL || len < 33)
		return -1;
	a = dir_sum(st->dir);
	b = dir_sum(st->snapdir);
	snprintf(buf, len, "%016llx%016llx", (unsigned long long)a,
	    (unsigned long long)b);
	return 0;
}

