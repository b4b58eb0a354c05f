/*
 * store_state.c - state files: DIR/NAME.json, one JSON value each, kept
 * by other programs in the store (macalert's alert state).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "store_impl.h"

static int
state_name_ok(const char *name)
{
	size_t i, n = name != NULL ? strlen(name) : 0;

	if (n == 0 || n > 64)
		return 0;
	for (i = 0; i < n; i++) {
		char c = name[i];

		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		    js_isdigit(c) || c == '_' || c == '-'))
			return 0;
	}
	return 1;
}

json_t *
store_state_load(struct store *st, const char *name, struct ms_err *e)
{
	struct ms_buf fn = { 0 };
	json_error_t je;
	struct ms_err re;
	char *path, *text;
	size_t len;
	json_t *v;
	int gone;

	if (!state_name_ok(name)) {
		ms_err_set(e, "invalid state name");
		return NULL;
	}
	if (ms_buf_printf(&fn, "%s.json", name) == -1 ||
	    (path = store_path(st, fn.data)) == NULL) {
		ms_buf_free(&fn);
		ms_err_set(e, "out of memory");
		return NULL;
	}
	text = ms_read_file(path, STORE_STATE_MAX, &len, &re);
	gone = text == NULL && errno == ENOENT;
	if (text == NULL) {
		if (!gone)
			ms_err_set(e, "%s", re.msg);
		free(path);
		ms_buf_free(&fn);
		return gone ? json_object() : NULL;
	}
	v = json_loadb(text, len, JSON_REJECT_DUPLICATES | JSON_DECODE_ANY,
	    &je);
	if (v == NULL)
		ms_err_set(e, "%s:%d:%d: %s", path, je.line, je.column,
		    je.text);
	free(text);
	free(path);
	ms_buf_free(&fn);
	return v;
}

int
store_state_save(struct store *st, const char *name, json_t *state,
    struct ms_err *e)
{
	struct ms_buf fn = { 0 }, text = { 0 };
	char *s;
	int r;

	if (store_need_lock(st, e) == -1)
		return -1;
	if (!state_name_ok(name))
		return ms_err_set(e, "invalid state name");
	if (state == NULL)
		return ms_err_set(e, "no state to save");
	s = json_dumps(state, JSON_INDENT(1) | JSON_ENCODE_ANY);
	if (s == NULL || ms_buf_printf(&fn, "%s.json", name) == -1) {
		free(s);
		ms_buf_free(&fn);
		return ms_err_set(e, "out of memory");
	}
	/* The value and a newline, as text files end. */
	if (ms_buf_puts(&text, s) == -1 || ms_buf_puts(&text, "\n") == -1) {
		free(s);
		ms_buf_free(&text);
		ms_buf_free(&fn);
		return ms_err_set(e, "out of memory");
	}
	free(s);
	r = store_atomic_write(st->dir, fn.data, text.data, text.len, e);
	ms_buf_free(&text);
	ms_buf_free(&fn);
	return r;
}

