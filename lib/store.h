/*
 * store.h - the store of DESIGN.md: snapshots, the merged view, history
 * and the state files that outlive retention. macstore writes it;
 * macalert, machttp and macprobe read it (and macalert keeps its alert
 * state in it) through this API only: no program parses store files.
 *
 * Layout of DIR (default /var/lib/macscan, MACSCAN_DIR, -d):
 *   snapshots/machines-YYYYMMDDTHHMMSSZ.json  one scan each (JSON array)
 *   history.ndjson                           one small entry per machine
 *                                            per scan, compacted with age
 *   known_hosts                              SSH host keys (macprobe)
 *   STATE.json                               state files (e.g. alerts)
 *   lock                                     writers' flock
 *
 * Writers take the lock; readers never lock, and every file is replaced by
 * rename(2) after fsync, so a reader never sees half a file and a crash
 * (kill -9 at any instant) leaves the store readable and consistent.
 *
 * Ownership: functions returning json_t * give a new reference (release
 * with json_decref); returned char * are the caller's to free.
 */
#ifndef MACSCAN_STORE_H
#define MACSCAN_STORE_H

#include <jansson.h>
#include <stddef.h>
#include <time.h>

#include "util.h"

#define STORE_KEEP_DEFAULT 5

enum {
	STORE_RDONLY = 0,	/* never creates or writes anything */
	STORE_CREATE = 1	/* create DIR and snapshots/ if missing */
};

struct store;

struct store *store_open(const char *dir, int flags, struct ms_err *e);
void store_close(struct store *st);
const char *store_dir(const struct store *st);

/* DIR/NAME, for a file beside the snapshots (e.g. "known_hosts"). */
char *store_path(const struct store *st, const char *name);

/* Exclusive writer lock (flock on DIR/lock), waiting at most timeout_s
 * seconds. 0, or -1 with e set. */
int store_lock(struct store *st, int timeout_s, struct ms_err *e);
void store_unlock(struct store *st);

/*
 * Write one snapshot of records (a JSON array of record objects, not
 * stolen) taken at time `when`: stamps each record's "id" (serial, else
 * MAC, else IP), writes it atomically, appends to the history. The
 * snapshot's file name is returned in *name if name is not NULL. An
 * empty array is refused (a failed scan must not push good data out of
 * the retention window). Needs the lock.
 */
int store_add(struct store *st, json_t *records, time_t when, char **name,
    struct ms_err *e);

/* Keep the newest `keep` snapshots; the number removed, or -1. Needs the
 * lock. */
int store_prune(struct store *st, unsigned keep, struct ms_err *e);

struct store_snap {
	char *name;		/* file name in snapshots/ */
	time_t when;		/* from the name */
	size_t count;		/* records in it, or (size_t)-1 if unread */
};

/* The snapshots, oldest first; free with store_snaps_free. */
int store_list(struct store *st, struct store_snap **v, size_t *n,
    struct ms_err *e);
void store_snaps_free(struct store_snap *v, size_t n);

/*
 * The merged view: the newest record of each id over all snapshots, with
 * first_seen, last_seen and online (present in the newest snapshot),
 * sorted by id. A JSON array; an empty store gives [].
 */
json_t *store_latest(struct store *st, struct ms_err *e);

/*
 * One machine's history, oldest first: an array of small objects
 * {"t": "RFC 3339", "disk_free_bytes":..., "disk_total_bytes":...,
 *  "battery_percent":..., "battery_health_percent":..., "online":...}
 * with only the fields that were known. NULL with e when the id is
 * unknown.
 */
json_t *store_history(struct store *st, const char *id, struct ms_err *e);

/* Every machine's history: an object id -> array as above. */
json_t *store_history_all(struct store *st, struct ms_err *e);

/*
 * A token that changes whenever the store's content changes (for caches
 * and ETags): written into buf (NUL-terminated). 0 or -1.
 */
int store_version(struct store *st, char *buf, size_t len);

/*
 * State files: DIR/NAME.json holding one JSON value. Loading a missing
 * state gives an empty object. Saving is atomic; needs the lock.
 */
json_t *store_state_load(struct store *st, const char *name,
    struct ms_err *e);
int store_state_save(struct store *st, const char *name, json_t *state,
    struct ms_err *e);

#endif
