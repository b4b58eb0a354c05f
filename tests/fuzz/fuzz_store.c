/*
 * The store's readers on arbitrary bytes: the input is read as a
 * snapshot (the line scanner and its jansson fallback), as one record
 * line of a snapshot, and as a history file (reading, compaction). The
 * scanner must never accept what jansson refuses; every merged record
 * must be valid JSON with its id, first_seen, last_seen and online; every
 * history entry must have its time and id; compaction must leave a file
 * whose every line is an entry; one machine's history read through the
 * store's index must equal what a whole read gives. Last, the input as
 * the identity state: an add must work with it, and leave a state that
 * parses.
 */
#include <fcntl.h>
#include <ftw.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "record.h"
#include "store.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static char dir[64];
static struct store *st;

static void
put(const char *rel, const void *p, size_t n)
{
	char path[256];
	int fd;

	snprintf(path, sizeof(path), "%s/%s", dir, rel);
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	if (fd == -1 || (n > 0 && write(fd, p, n) != (ssize_t)n))
		abort();
	close(fd);
}

static int
rm_one(const char *path, const struct stat *sb, int flag, struct FTW *ftw)
{
	(void)sb;
	(void)flag;
	(void)ftw;
	return remove(path);
}

static void
cleanup(void)
{
	nftw(dir, rm_one, 8, FTW_DEPTH | FTW_PHYS);
}

static void
init(void)
{
	struct ms_err e;
	static const char older[] = "[\n"
	    "{\"id\":\"C02OLD\",\"serial\":\"C02OLD\",\"first_seen\":"
	    "\"2025-12-30T00:00:00Z\"},\n"
	    "{\"id\":\"x\",\"ip\":\"10.0.0.1\"}\n]\n";

	/* tmpfs where there is one: compaction fsyncs. */
	snprintf(dir, sizeof(dir), "%s/fuzz_store.XXXXXX",
	    access("/dev/shm", W_OK) == 0 ? "/dev/shm" : "/tmp");
	if (mkdtemp(dir) == NULL)
		abort();
	atexit(cleanup);
	if ((st = store_open(dir, STORE_CREATE, &e)) == NULL ||
	    store_lock(st, 0, &e) == -1)
		abort();
	put("snapshots/machines-20251231T000000Z.json", older,
	    sizeof(older) - 1);
}

/* The scanner accepted a record jansson refuses (other messages start
 * with "snapshot" and may quote the input). */
static int
disagree(const struct ms_err *e)
{
	return strncmp(e->msg, "record ", 7) == 0 &&
	    strstr(e->msg, ": scanner and parser disagree") != NULL;
}

static int
check_merged(void *arg, const char *json, size_t len)
{
	json_t *o = json_loadb(json, len, 0, NULL);

	(void)arg;
	if (o == NULL || !json_is_object(o) ||
	    record_str(o, "id") == NULL ||
	    record_str(o, "first_seen") == NULL ||
	    record_str(o, "last_seen") == NULL ||
	    !json_is_boolean(json_object_get(o, "online")))
		abort();
	json_decref(o);
	return 0;
}

static void
check_history(json_t *all)
{
	const char *id;
	json_t *a, *o;
	size_t i;

	if (!json_is_object(all))
		abort();
	json_object_foreach(all, id, a) {
		if (!json_is_array(a) || json_array_size(a) == 0)
			abort();
		json_array_foreach(a, i, o)
			if (record_str(o, "t") == NULL)
				abort();
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *text = (const char *)data;
	struct ms_err e;
	json_t *a, *o;
	size_t i;
	char *buf;

	if (st == NULL)
		init();

	/* As a snapshot's text. */
	e.msg[0] = '\0';
	if ((a = store_parse_snapshot(text, size, &e)) != NULL) {
		json_array_foreach(a, i, o)
			if (!json_is_object(o) || record_str(o, "id") == NULL)
				abort();
		json_decref(a);
	} else if (disagree(&e)) {
		abort();
	}

	/* As one record line of a snapshot the writer's way. */
	if ((buf = malloc(size + 6)) == NULL)
		return 0;
	memcpy(buf, "[\n", 2);
	memcpy(buf + 2, data, size);
	memcpy(buf + 2 + size, "\n]\n", 3);
	if (memchr(data, '\n', size) == NULL) {
		e.msg[0] = '\0';
		a = store_parse_snapshot(buf, size + 5, &e);
		if (a == NULL && disagree(&e))
			abort();
		json_decref(a);
	}

	/* In the store, beside a good snapshot, merged. */
	put("snapshots/machines-20260101T000000Z.json", data, size);
	if (store_latest_foreach(st, check_merged, NULL, &e) == -1)
		abort();
	put("snapshots/machines-20260101T000000Z.json", buf, size + 5);
	if (store_latest_foreach(st, check_merged, NULL, &e) == -1)
		abort();
	free(buf);

	/* As the history: read, compacted, read again. */
	put("history.ndjson", data, size);
	for (i = 0; i < size;) {
		const char *nl = memchr(text + i, '\n', size - i);
		size_t n = nl != NULL ? (size_t)(nl - (text + i)) : size - i;

		if ((o = store_parse_history_line(text + i, n, &e)) != NULL) {
			if (record_str(o, "t") == NULL ||
			    record_str(o, "id") == NULL)
				abort();
			json_decref(o);
		}
		i += n + 1;
	}
	if ((a = store_history_all(st, &e)) != NULL) {
		check_history(a);
		json_decref(a);
	}
	o = store_history(st, "x", &e);
	json_decref(o);
	if (store_history_compact(st, 1767225600, &e) == -1)
		abort();
	{
		char path[256], *t;
		size_t len, k;

		snprintf(path, sizeof(path), "%s/history.ndjson", dir);
		if ((t = ms_read_file(path, 1 << 26, &len, &e)) == NULL)
			abort();
		for (k = 0, i = 0; i < len; k++) {
			const char *nl = memchr(t + i, '\n', len - i);
			size_t n;

			if (nl == NULL)
				abort();	/* every line is whole */
			n = (size_t)(nl - (t + i));
			o = store_parse_history_line(t + i, n, &e);
			if ((k == 0) != (o == NULL))
				abort();	/* the header, then entries */
			json_decref(o);
			i += n + 1;
		}
		free(t);
	}
	if ((a = store_history_all(st, &e)) == NULL)
		abort();
	check_history(a);
	json_decref(a);
	/* Through the index of the store kept open: it must say what the
	 * file says, however the file changed under it. */
	o = store_history(st, "x", &e);
	a = store_history_all(st, &e);
	if ((o == NULL) != (json_object_get(a, "x") == NULL) ||
	    (o != NULL && !json_equal(o, json_object_get(a, "x"))))
		abort();
	json_decref(o);
	json_decref(a);

	/* As the identity state: an add works with it or without it (it
	 * is rebuilt), and leaves one that parses. */
	put("identity.json", data, size);
	a = json_pack("[{s:s,s:s},{s:s,s:s},{s:s}]", "serial", "C02OLD",
	    "mac", "3c:22:fb:00:00:01", "serial", "C02OLD", "platform_uuid",
	    "U2", "mac", "3c:22:fb:00:00:01");
	if (store_add(st, a, 1767225600 + (time_t)(size % 86400), NULL, &e)
	    == -1)
		abort();
	json_decref(a);
	if ((o = store_state_load(st, "identity", &e)) == NULL ||
	    !json_is_object(json_object_get(o, "machines")))
		abort();
	json_decref(o);
	store_prune(st, 2, &e);
	return 0;
}
