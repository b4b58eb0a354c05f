/*
 * store.h - the store of DESIGN.md: snapshots, the merged view, history
 * and the state files that outlive retention. macstore writes it;
 * macalert, machttp and macprobe read it (and macalert keeps its alert
 * state in it) through this API only: no program parses store files.
 *
 * Layout of DIR (default /var/lib/macscan, MACSCAN_DIR, -d):
 *   snapshots/machines-YYYYMMDDTHHMMSSZ.json  one scan each (JSON array)
 *   snapshots/machines-YYYYMMDDTHHMMSSZ-N.json  a later scan of the same
 *                                            second (N = 1, 2, ...)
 *   history.ndjson                           one small entry per machine
 *                                            per scan, compacted with age
 *   known_hosts                              SSH host keys (macprobe)
 *   identity.json                            the identity state (below)
 *   STATE.json                               state files (e.g. alerts)
 *   lock                                     writers' flock
 *   .tmp-*                                   a writer's file in progress
 *                                            (also in snapshots/)
 *
 * A snapshot is a JSON array written one record a line:
 *   [
 *   {"id":"C02XK1ZHJGH5",...,"first_seen":"2026-11-20T08:00:00Z"},
 *   {"id":"3c:22:fb:00:00:0b",...,"first_seen":"2026-11-24T16:10:00Z"}
 *   ]
 * Each record is the scanned record with "id" put first and "first_seen"
 * last (carried over from the merged view, or from the history for a
 * machine back after the retention window, so it outlives retention);
 * "last_seen" and "online" are never stored, the merge computes them.
 * Readers accept any JSON array of records (a file edited by hand), and
 * skip a file that does not parse, with a warning naming it.
 *
 * Writer and reader accept exactly the same records, through one check
 * (store_check_record) run on the record's text as stored: a JSON
 * object of at most STORE_RECORD_MAX bytes, nested at most
 * STORE_RECORD_DEPTH deep, each field of DESIGN.md of its type
 * (record_check's rules, no field twice), with an identity of at most
 * STORE_ID_MAX bytes. The writer refuses a record that fails it and a
 * snapshot larger than STORE_SNAP_MAX; a reader skips such a record
 * alone (with a warning naming its line), and a snapshot that does not
 * parse or holds no record that passes is unreadable: it is skipped by
 * the merge, never counted by retention, and when no snapshot is
 * readable the merged view is an error, not an empty view.
 *
 * history.ndjson starts with a header line,
 *   {"macscan_history":1,"compacted_bytes":N}
 * then one line per machine per scan:
 *   {"t":"2026-11-24T16:10:00Z","id":"C02XK1ZHJGH5",
 *    "disk_free_bytes":...,"disk_total_bytes":...,"battery_percent":...,
 *    "battery_health_percent":...,"online":true}
 * with only the fields that were known. A machine of the merged view
 * missing from a scan gets {"t":...,"id":...,"online":false}. Compaction
 * keeps every entry of the last 2 days, then the last entry of each
 * machine per hour up to 30 days, then per day (UTC) up to 2 years, and
 * drops older ones; it runs when the file grew by a quarter (and past
 * 1 MiB) since the last one.
 *
 * Identity. A record's id (its "id" in a snapshot) is given by store_add:
 *   - a record that identifies its Mac (record_identified: a serial, a
 *     platform_uuid or hw_macs, a probe that worked): record_identity,
 *     i.e. serial, else platform_uuid, else the first of hw_macs;
 *   - a record that does not (a probe that failed: ip, mac, probe): the
 *     id of the Mac its MAC (the mac macping saw, a private Wi-Fi
 *     address included, or one of that Mac's hw_macs; compared without
 *     case) belongs to; with no mac at all, of the Mac its ip belongs
 *     to; else record_identity (mac, else ip, else host). A MAC nobody
 *     is known by is a new machine whatever its ip: a DHCP lease given
 *     to another device must not move a Mac's history;
 *   - an address belongs to the Mac whose newest identifying record
 *     (by scan time) used it; a Mac's addresses are those of its newest
 *     identifying record only, so one it stopped using is nobody's
 *     until another Mac's probe shows it;
 *   - records claiming one serial in one scan that record_differ are
 *     different Macs: all kept, each "identity_conflict": true. The one
 *     that does not differ from the Mac known under that serial keeps
 *     it; each other gets SERIAL@DISC (DISC: its platform_uuid, else its
 *     first hw_mac, else mac, else ip; at most 40 bytes), or the
 *     SERIAL@... id it is already known by. While another id of that
 *     serial's conflict is in the merged view, a Mac claiming it alone
 *     keeps the id it is known by and is flagged (so are records mapped
 *     to it); once they have left the view, it is SERIAL again, not
 *     flagged. Records of one serial that do not differ are one Mac (the
 *     same Mac through Ethernet and Wi-Fi): the last is kept.
 * identity.json remembers, per id, the newest identifying record's time
 * and its serial, platform_uuid, hw_macs, mac and ip:
 *   {"macscan_identity":1,"machines":{
 *   "C02XK1ZHJGH5":{"t":"2026-11-24T16:10:00Z","serial":"C02XK1ZHJGH5",
 *     "platform_uuid":"...","hw_macs":["..."],"mac":"...","ip":"..."},
 *   ...}}
 * one Mac a line. It outlives retention: an id unused for two years is
 * forgotten, a SERIAL@DISC id once it has left the merged view. A store
 * without it (made before it existed, or whose file does not parse)
 * gets one from the merged view on the next add: each machine of the
 * view whose record identifies it, or whose id is not its record's own
 * (a record mapped to a Mac), with its addresses as last seen.
 *
 * Files are created with mode 0666 and directories 0777, less the umask;
 * a file replaced keeps its mode when that was tighter.
 *
 * Writers take the lock; readers never lock, and every file is replaced by
 * rename(2) after fsync, so a reader never sees half a file and a crash
 * (kill -9 at any instant) leaves the store readable and consistent: a
 * leftover .tmp-* file is ignored by readers and removed by the next
 * writer, a history line cut short is ignored by readers and trimmed by
 * the next writer.
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
#define STORE_LOCK_TIMEOUT 60		/* seconds macstore waits */
#define STORE_SNAP_MAX (256u << 20)	/* bytes in one snapshot */
#define STORE_STATE_MAX (64u << 20)	/* bytes in one state file */
#define STORE_HISTORY_LINE_MAX 4096	/* longer history lines are skipped */
#define STORE_RECORD_MAX (4u << 20)	/* bytes in one record, as stored */
#define STORE_RECORD_DEPTH 64		/* nesting in a record (itself: 1) */
#define STORE_ID_MAX 512		/* bytes in an id */

enum {
	STORE_RDONLY = 0,	/* never creates or writes anything */
	STORE_CREATE = 1	/* create DIR and snapshots/ if missing */
};

struct store;

/*
 * Open the store in dir. STORE_RDONLY needs DIR to exist (a missing
 * snapshots/ is an empty store); STORE_CREATE makes DIR (not its
 * parents) and snapshots/. NULL and e on error.
 */
struct store *store_open(const char *dir, int flags, struct ms_err *e);
void store_close(struct store *st);
const char *store_dir(const struct store *st);

/*
 * Where the store reports what it skipped while reading (a snapshot that
 * does not parse, a record without identity, history lines that were
 * bad): fn(arg, one line naming the file). Without it they are dropped.
 */
typedef void (*store_warn_fn)(void *arg, const char *msg);
void store_set_warn(struct store *st, store_warn_fn fn, void *arg);

/* DIR/NAME, for a file beside the snapshots (e.g. "known_hosts"). */
char *store_path(const struct store *st, const char *name);

/* Exclusive writer lock (flock on DIR/lock), waiting at most timeout_s
 * seconds (0: try once). Once held, removes the temporary files that
 * killed writers left. 0, or -1 with e set. */
int store_lock(struct store *st, int timeout_s, struct ms_err *e);
void store_unlock(struct store *st);

/*
 * Write one snapshot of records (a JSON array of record objects, not
 * stolen) taken at time `when`: stamps each record's "id" (see Identity
 * above), "identity_conflict" when flagged, and "first_seen" (the
 * earliest of the merged view's, the history's and the record's own),
 * drops "last_seen", "online" and "identity_conflict", writes it
 * atomically (never over an existing snapshot: a second one in the same
 * second gets a -N suffix), appends to the history. The snapshot's file
 * name is returned in *name if name is not NULL. Refused (-1, nothing
 * written): an empty array (a failed scan must not push good data out
 * of the retention window), a record failing store_check_record ("record
 * N: why"), a snapshot that would be larger than STORE_SNAP_MAX. Two
 * records with the same id: the one that identifies its Mac, else the
 * last, is kept (a warning goes to the warn function). Updates
 * identity.json. Needs the lock.
 */
int store_add(struct store *st, json_t *records, time_t when, char **name,
    struct ms_err *e);

/*
 * Check one record as store_add would store it: 0, or -1 and e saying
 * why ("no serial, mac, ip or host", "nested more than 64 deep",
 * "field \"x\" must be ..."). A record that passes is never refused
 * by store_add, and is read back by every reader.
 */
int store_check_record(struct store *st, const json_t *rec,
    struct ms_err *e);

/*
 * Keep the newest `keep` (>= 1) readable snapshots: every snapshot older
 * than the keep-th newest readable one is removed, readable or not;
 * unreadable snapshots newer than it are left (and not counted). So a
 * readable snapshot never goes to keep an unreadable one, and fewer than
 * `keep` readable ones are left only when there are no more. The number
 * removed, or -1. Needs the lock.
 */
int store_prune(struct store *st, unsigned keep, struct ms_err *e);

struct store_snap {
	char *name;		/* file name in snapshots/ */
	time_t when;		/* from the name */
	size_t count;		/* records in it, or (size_t)-1 if unread */
};

/* The snapshots, oldest first, each read to count its records (one that
 * does not parse has count (size_t)-1 and is warned about); free with
 * store_snaps_free. */
int store_list(struct store *st, struct store_snap **v, size_t *n,
    struct ms_err *e);
void store_snaps_free(struct store_snap *v, size_t n);

/*
 * The merged view: the newest record of each id over all snapshots, with
 * first_seen (the earliest of the snapshots' times and their records'
 * first_seen), last_seen (the time of the newest snapshot holding it) and
 * online (present in the newest snapshot), sorted by id (bytewise). A
 * JSON array; a store without snapshots gives []. Snapshots that all
 * fail to read are an error: "N snapshots, none readable".
 */
json_t *store_latest(struct store *st, struct ms_err *e);

/*
 * The same view, one record at a time and without building it in memory
 * (what `macstore latest` prints): fn gets each record as compact JSON
 * text, NUL-terminated, borrowed until fn returns. fn returns 0 to go on
 * or -1 to stop. The number of records, or -1 with e set (also when fn
 * stopped: then e says so).
 */
typedef int (*store_text_fn)(void *arg, const char *json, size_t len);
long store_latest_foreach(struct store *st, store_text_fn fn, void *arg,
    struct ms_err *e);

/*
 * One machine's history, oldest first: an array of small objects
 * {"t": "RFC 3339", "disk_free_bytes":..., "disk_total_bytes":...,
 *  "battery_percent":..., "battery_health_percent":..., "online":...}
 * with only the fields that were known. NULL with e when the id is
 * unknown. Read through an index of the history kept in st (about 8 KB
 * a Mac with two years of history): the first call reads the whole
 * file, later ones what it gained since (all of it again after a
 * compaction), then only the machine's own lines; so a program that
 * keeps its store open (machttp) pays one machine's entries a call.
 */
json_t *store_history(struct store *st, const char *id, struct ms_err *e);

/* Every machine's history: an object id -> array as above. */
json_t *store_history_all(struct store *st, struct ms_err *e);

/*
 * The same, with only the entries at or after `since` and, if step > 0,
 * at most one entry per machine per step seconds (the last of each
 * UTC-aligned bucket): what a sparkline needs, without holding years of
 * entries in memory (a full history is about 1,700 entries a machine).
 */
json_t *store_history_all_since(struct store *st, time_t since, long step,
    struct ms_err *e);

/*
 * Compact the history as of time `now` (see the layout above); store_add
 * runs it when due. The number of entries removed, or -1. Needs the lock.
 */
long store_history_compact(struct store *st, time_t now, struct ms_err *e);

/*
 * A token that changes whenever the store's content changes (for caches
 * and ETags): written into buf (NUL-terminated, at most 40 bytes). 0 or
 * -1.
 */
int store_version(struct store *st, char *buf, size_t len);

/*
 * State files: DIR/NAME.json holding one JSON value; NAME is
 * [A-Za-z0-9_-], 1 to 64 bytes. Loading a missing state gives an empty
 * object; a state that does not parse is an error. Saving is atomic;
 * needs the lock.
 */
json_t *store_state_load(struct store *st, const char *name,
    struct ms_err *e);
int store_state_save(struct store *st, const char *name, json_t *state,
    struct ms_err *e);

/*
 * For tests: a lower cap than STORE_SNAP_MAX on the snapshots this store
 * writes and reads (0: STORE_SNAP_MAX).
 */
void store_set_snap_max(struct store *st, size_t max);

/*
 * The parsers of the store's files, for tests and the fuzz harness.
 * store_parse_snapshot: a snapshot's text to its array of records (each
 * with its "id"; records without identity are dropped), NULL and e when
 * it does not parse. store_parse_history_line: one line to an entry
 * (with "id"), NULL and e when it is not a valid entry (the header line
 * included).
 */
json_t *store_parse_snapshot(const char *text, size_t len,
    struct ms_err *e);
json_t *store_parse_history_line(const char *line, size_t len,
    struct ms_err *e);

#endif
