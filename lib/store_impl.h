/*
 * store_impl.h - what the store's files share among themselves; not for
 * programs (they use store.h). The store is split by concern:
 *
 *   store.c          opening, paths, the lock, atomic files, the version
 *   store_idmap.c    the one hash table (ids to dense indexes)
 *   store_json.c     the JSON scanner the readers run on the text
 *   store_rec.c      a record as the store reads it: the one validator
 *   store_snap.c     snapshot names and files, listing, retention
 *   store_merge.c    the merged view
 *   store_hist.c     reading the history
 *   store_hindex.c   the history's index (one machine's, fast)
 *   store_compact.c  writing the history, and its compaction
 *   store_ident.c    which machine a record is, the identity state
 *   store_add.c      adding a scan
 *   store_state.c    state files
 */
#ifndef MACSCAN_STORE_IMPL_H
#define MACSCAN_STORE_IMPL_H

#include <stdint.h>
#include <sys/types.h>
#include <time.h>

#include "rfc3339.h"
#include "store.h"

#define SNAPDIR "snapshots"
#define HISTORY "history.ndjson"
#define TMPPREFIX ".tmp-"
#define HISTORY_COMPACT_MIN (1u << 20)
#define DAY 86400LL
#define HOUR 3600LL

/* ---- store.c ---- */
void store_warnf(struct store *st, const char *fmt, ...) MS_PRINTF(2, 3);
char *store_join(const char *a, const char *b);
int store_need_lock(struct store *st, struct ms_err *e);
int store_write_all(int fd, const char *p, size_t n);
int store_fsync_dir(const char *dir, struct ms_err *e);
/* A new temporary file in dir (".tmp-..."), mode 0666 less the umask:
 * its fd, its path in *tmp. */
int store_tmp_open(const char *dir, char **tmp, struct ms_err *e);
/* Before it replaces dst: keep dst's mode if it is tighter. */
int store_tmp_mode(int fd, const char *dst, struct ms_err *e);
/* Write, fsync and close a temporary file; on error it is removed. */
int store_tmp_finish(int fd, char *tmp, const char *data, size_t len,
    struct ms_err *e);
/* Replace dir/name by data, atomically and durably. */
int store_atomic_write(const char *dir, const char *name, const char *data,
    size_t len, struct ms_err *e);

/* ---- store_idmap.c: ids to dense indexes ---- */
struct idmap {
	struct idkey {
		char *s;	/* NUL-terminated copy */
		size_t len;
		uint64_t h;
	} *v;			/* v[i] is the key of index i */
	size_t n, cap;
	uint32_t *tab;		/* index + 1, 0 = empty */
	size_t tabsz;
};
uint64_t store_hash(const void *p, size_t n);
/* The index of s, or -1 when absent. */
long idmap_find(const struct idmap *m, const char *s, size_t len);
/* The index of s, added if absent (*created set then); -1 out of
 * memory. */
long idmap_add(struct idmap *m, const char *s, size_t len, int *created);
void idmap_free(struct idmap *m);

/* ---- store_json.c: the scanner ---- */
enum { JT_STRING = 1, JT_INT, JT_REAL, JT_TRUE, JT_FALSE, JT_NULL,
	JT_OBJECT, JT_ARRAY };

struct jerr {
	const char *msg;	/* static */
	size_t off;		/* where, from the start of the text */
};

struct jmember {
	const char *key;	/* the key's text, without its quotes */
	size_t klen;
	int kesc;		/* it holds a backslash escape */
	const char *val;	/* the value's text (a string: unquoted) */
	size_t vlen;
	int vesc;
	int type;
	const char *vend;	/* just past the value (and its quote) */
};

typedef int (*jmember_fn)(void *arg, const struct jmember *m);

/*
 * Scan text as one JSON object, nested at most maxdepth deep (the object
 * itself is depth 1), calling fn for each top-level member. 0; -1 with
 * je set on a syntax error; the callback's -1 (je->msg set by it, or
 * NULL) stops the scan.
 */
int js_object(const char *text, size_t len, int maxdepth, jmember_fn fn,
    void *arg, struct jerr *je);
/* Each element of an array's text (from '[' to ']', as a member's value
 * is): fn(arg, element) with only val, vlen, vesc and type set. */
int js_array(const char *text, size_t len, jmember_fn fn, void *arg);
/* A scanned string's value, escapes decoded, into out (len + 1 bytes at
 * least: decoding never grows it). Returns the decoded length. */
size_t js_unescape(const char *p, size_t len, char *out);
/* A malloc'ed copy of a scanned string's value. */
char *js_strdup(const char *p, size_t len, int esc);
/* Does a member's key equal name? (Escaped keys are decoded.) */
int js_key_is(const struct jmember *m, const char *name, size_t n);
/* A canonical "YYYY-MM-DDTHH:MM:SSZ", which compares as text in time
 * order? */
int js_canonical_time(const char *s, size_t n);
/* Append s as a JSON string (quotes, escapes) to b. */
int js_str_append(struct ms_buf *b, const char *s);
int js_isdigit(char c);
/* The message of js_object when the text is nested too deep. */
extern const char js_too_deep[];

/* ---- store_rec.c: a record as the store reads it, the one check ---- */
enum { K_ID, K_FIRST, K_LAST, K_ONLINE, K_SERIAL, K_UUID, K_HWMACS, K_MAC,
	K_IP, K_HOST, K_N };

/* Slack for what the writer adds to a record: the id it gives (a
 * conflict's suffix, an id from the identity state: at most
 * STORE_ID_MAX bytes, each escaped to at most 6), "identity_conflict"
 * and "first_seen". A record that passes store_check_record fits the
 * writer's check whatever its id. */
#define ID_SLACK (6 * STORE_ID_MAX + 128)

#define FT_MAX 255
/* The fields of record.h (record_fields) by name, for the scanner: a
 * small hash on (length, first and last byte), chained. */
struct ftab {
	unsigned char head[256];	/* index + 1 of a chain, 0 = none */
	unsigned char next[FT_MAX];	/* index + 1 of the next, 0 = end */
	unsigned char len[FT_MAX];
	signed char type[FT_MAX];	/* enum record_type */
	signed char kidx[FT_MAX];	/* K_ index, or -1 */
	const char *name[FT_MAX];
	size_t n;
};
void ftab_init(struct ftab *ft);

/* A record as the merge needs it (scanned: pointers into its text). */
struct rinfo {
	const char *text;
	size_t len;
	const char *fs;		/* first_seen's text, if it is a string */
	size_t fslen;
	int fsesc;
	const char *cut;	/* the end of the member before first_seen */
	const char *id;		/* the identity's text (a string value) */
	size_t idlen;
	int idesc;
	int idkey;		/* 1: from "id"; 0: derived (serial, ...) */
	int fast;		/* first_seen, last_seen, online spliced */
};

/*
 * Scan and check one record's text (the one check of store.h): 1 with
 * its identity; 0 when it has none (the record is skipped); -1 with je
 * on a syntax error; -2 with e when it is JSON but not a record the
 * store keeps (too large or deep, a field of the wrong type or twice, an
 * id too long).
 */
int rec_scan(const struct ftab *ft, const char *text, size_t len,
    struct rinfo *ri, struct jerr *je, struct ms_err *e);
/* The same as a yes or no: 0, or -1 with e. */
int rec_check(const struct ftab *ft, const char *text, size_t len,
    struct ms_err *e);

/* What the last merge learnt of each snapshot, for retention. */
struct snapmemo {
	char *name;
	off_t size;
	struct timespec mtim;
	int readable;
};

struct store {
	char *dir;
	char *snapdir;
	int flags;
	int lockfd;
	store_warn_fn warn;
	void *warnarg;
	size_t snap_max;	/* bytes in a snapshot, read or written */
	struct ftab ft;
	struct snapmemo *memo;
	size_t nmemo, capmemo;
	struct hindex *hidx;	/* the history's index, once used */
};

/* ---- store_snap.c: snapshot names and files ---- */
struct snapent {
	char *name;
	time_t when;
	unsigned seq;
};

struct snapload {
	const struct ftab *ft;
	char *buf;
	size_t len;
	struct rinfo *v;	/* the records with an identity */
	size_t n, cap;
	char **own;		/* texts made by jansson (the slow path) */
	size_t nown, capown;
	size_t skipped;		/* records without identity */
	size_t firstskip;	/* the line (or element) of the first one */
	size_t bad;		/* records that fail the check */
	size_t firstbad;	/* the line (or element) of the first one */
	char why[MS_ERRLEN];	/* and why */
	int json;		/* read by jansson, not line by line */
	off_t size;		/* the file's, when it was read */
	struct timespec mtim;
};

/* The snapshots' names, oldest first. A missing snapshots/ is empty. */
int snap_names(struct store *st, struct snapent **vp, size_t *np,
    struct ms_err *e);
void snapents_free(struct snapent *v, size_t n);
int snap_name_make(time_t when, unsigned seq, char *buf, size_t len);
/* Load snapshots/name: 0; 1 if it vanished; -1 with e if unreadable
 * (it does not parse, or holds no record that passes the check). */
int snap_load(struct store *st, const char *name, struct snapload *sl,
    struct ms_err *e);
void snapload_free(struct snapload *sl);
void store_memo_free(struct store *st);

/* ---- store_merge.c: the merged view ---- */
struct ment {
	const char *id;		/* the key in the merge's idmap */
	char *text;		/* the newest record (keep_text) */
	size_t len;
	size_t cut;		/* fast: splice point */
	int fast, idkey;
	int snap;		/* 0 = the newest snapshot read */
	int online;
	char first[RFC3339_LEN];
	char last[RFC3339_LEN];
};

struct merge {
	struct idmap ids;
	struct ment *v;		/* v[i] is the entry of ids' index i */
	size_t n, cap;
	int keep_text;
	int nsnaps;		/* snapshots read */
	size_t nfiles;		/* snapshots there (read or not) */
	char newest[RFC3339_LEN];
	time_t newest_t;
};

/* Read every snapshot, newest first, into m. */
int merge_run(struct store *st, struct merge *m, int keep_text,
    struct ms_err *e);
void merge_free(struct merge *m);
/* The entry of id, or NULL. */
struct ment *merge_lookup(struct merge *m, const char *id);

/* ---- store_hist.c: reading the history ---- */
enum { H_FREE, H_TOTAL, H_BATT, H_HEALTH, H_N };
extern const char *const store_hfields[H_N];

struct hent {
	time_t t;		/* set by hent_time */
	char tstr[RFC3339_LEN];
	const char *traw;	/* the text of "t" (in the line) */
	size_t tlen;
	int tesc;
	const char *id;		/* the text of the id (in the line) */
	size_t idlen;
	int idesc;
	long long v[H_N];
	unsigned have;		/* bit per H_ */
	int online;		/* -1 unknown */
	int header;		/* the header line */
	long long compacted;	/* the header's compacted_bytes */
	unsigned seen;
	const char *err;
};

/*
 * Lines of a file, read in blocks from fd (from offset start): lines cut
 * short at the end of the file (an append in progress, or killed) are
 * not returned, lines longer than STORE_HISTORY_LINE_MAX are skipped and
 * counted. stream.c reads pipes a character at a time, interactively;
 * this reads a file the store wrote, whole lines only, with their
 * offsets, at the speed of memchr.
 */
struct lreader {
	int fd;
	char *buf;
	size_t cap, beg, end;
	int eof, skipping;
	size_t toolong;
	unsigned long lineno;
	off_t base;		/* the file offset of buf[0] */
	off_t line_off;		/* the offset of the line last returned */
};
int lr_init(struct lreader *r, int fd, off_t start);
/* 1 and a line (without its newline), 0 at the end, -1 on a read
 * error. */
int lr_next(struct lreader *r, const char **line, size_t *len);
void lr_free(struct lreader *r);

/* One line: 1 entry, 2 header, -1 bad (h->err says why). */
int hist_scan(const char *line, size_t len, struct hent *h);
/* Read the entry's time into t and tstr: 0, or -1 if it is not one. */
int hent_time(struct hent *h);
/* Open the history for reading: fd, or -1 (ENOENT: no history yet). */
int hist_open(struct store *st, char **pathp, struct ms_err *e);
/*
 * Read the history: for each entry (of id only, if id is not NULL) call
 * add(arg, entry, its id decoded). -1 on a read error; 0 otherwise
 * (missing file included).
 */
typedef int (*hist_fn)(void *arg, const struct hent *h, const char *id);
int hist_read(struct store *st, const char *id, hist_fn add, void *arg,
    struct ms_err *e);
long long store_floordiv(long long a, long long b);

/* ---- store_hindex.c: the history's index ---- */
struct hindex;
/*
 * The entries of id through the index (built or brought up to date
 * first): add() for each, in file order. reset(arg) forgets what was
 * added, when the file changed under the index and it is read again.
 * 0, or -1 with e.
 */
int hindex_read(struct store *st, const char *id, hist_fn add, void *arg,
    void (*reset)(void *), struct ms_err *e);
void hindex_free(struct hindex *x);

/* ---- store_ident.c: which machine a record is ---- */
struct ident;
/* The identity state, or one made from the merged view prev describes
 * when there is none yet (or it does not parse: warned). */
struct ident *ident_load(struct store *st, const struct merge *prev,
    struct ms_err *e);
/*
 * The id of each record kept (keep[i] != -1), malloc'ed in ids[i], and
 * whether it is flagged identity_conflict in flag[i]. Records of one
 * Mac claiming one serial twice are cut to the last (keep[i] = -1, with
 * a warning).
 */
int ident_assign(struct ident *id, struct store *st, json_t *records,
    const struct merge *prev, size_t *keep, char **ids, int *flag,
    struct ms_err *e);
/* Learn this scan's identified Macs (time stamp) and save the state. */
int ident_save(struct ident *id, struct store *st, json_t *records,
    char *const *ids, const size_t *keep, const char *stamp,
    const struct merge *prev, struct ms_err *e);
void ident_free(struct ident *id);

/* ---- store_compact.c: writing the history ---- */
int hist_header(struct ms_buf *b, size_t compacted);
int hist_entry(struct ms_buf *b, const char *t, const char *id, json_t *rec,
    int online);
/* Append lines to the history; *due when compaction is due. */
int hist_append(struct store *st, const char *data, size_t len, int *due,
    struct ms_err *e);

#endif
