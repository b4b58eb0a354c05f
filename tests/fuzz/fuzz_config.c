/*
 * fuzz_config - the dotenv parser (config_parse_buf) on arbitrary bytes.
 *
 * Invariants: it either fails with one line starting "fuzz.conf:" or
 * succeeds with distinct keys of [A-Za-z_][A-Za-z0-9_]*, each with a
 * value (no longer than the input) and a line number within the input;
 * the same bytes parse the same way twice; the number getter and the
 * secret getter never crash on whatever the file holds.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "settings.h"

static int
valid_key(const char *k)
{
	size_t i;

	if (!((k[0] >= 'A' && k[0] <= 'Z') || (k[0] >= 'a' && k[0] <= 'z') ||
	    k[0] == '_'))
		return 0;
	for (i = 1; k[i] != '\0'; i++)
		if (!((k[i] >= 'A' && k[i] <= 'Z') ||
		    (k[i] >= 'a' && k[i] <= 'z') ||
		    (k[i] >= '0' && k[i] <= '9') || k[i] == '_'))
			return 0;
	return 1;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *buf = (const char *)data;
	struct config *c, *c2;
	struct ms_err e, e2;
	unsigned long lines = 1;
	long long v;
	size_t i, j, n;

	for (i = 0; i < size; i++)
		lines += data[i] == '\n';
	e.msg[0] = e2.msg[0] = '\0';
	c = config_parse_buf(buf, size, "fuzz.conf", &e);
	c2 = config_parse_buf(buf, size, "fuzz.conf", &e2);
	if ((c == NULL) != (c2 == NULL))
		abort();
	if (c == NULL) {
		if (strncmp(e.msg, "fuzz.conf:", 10) != 0 ||
		    strchr(e.msg, '\n') != NULL || strcmp(e.msg, e2.msg) != 0)
			abort();
		return 0;
	}
	if (strcmp(config_path(c), "fuzz.conf") != 0)
		abort();
	n = config_count(c);
	if (n != config_count(c2) || n > CONFIG_MAXKEYS ||
	    config_key(c, n) != NULL)
		abort();
	for (i = 0; i < n; i++) {
		const char *k = config_key(c, i), *val;
		unsigned long ln = config_line(c, k);
		char *sec;

		if (k == NULL || !valid_key(k) || strcmp(k, config_key(c2, i)))
			abort();
		if (ln == 0 || ln > lines)
			abort();
		for (j = 0; j < i; j++)
			if (strcmp(k, config_key(c, j)) == 0)
				abort();
		/* Keys the environment has (PATH, HOME) come from there. */
		if (getenv(k) != NULL)
			continue;
		val = config_get(c, k);
		if (val == NULL || strlen(val) > size ||
		    strcmp(val, config_get(c2, k)) != 0)
			abort();
		e.msg[0] = '\0';
		if (config_get_num(c, k, -1000, 1000, 0, &v, &e) == 0) {
			if (v < -1000 || v > 1000)
				abort();
		} else if (e.msg[0] == '\0' || strchr(e.msg, '\n') != NULL) {
			abort();
		}
		/* Only a KEY secret: a KEY_FILE would open fuzzed paths. */
		if (strlen(k) > 5 && strcmp(k + strlen(k) - 5, "_FILE") == 0)
			continue;
		{
			char fk[CONFIG_MAXLINE + 8];

			snprintf(fk, sizeof(fk), "%s_FILE", k);
			if (config_get(c, fk) != NULL)
				continue;
		}
		sec = config_get_secret(c, k, &e);
		if (*val != '\0' && (sec == NULL || strcmp(sec, val) != 0))
			abort();
		if (*val == '\0' && (sec != NULL || e.msg[0] != '\0'))
			abort();
		if (sec != NULL) {
			ms_explicit_bzero(sec, strlen(sec));
			free(sec);
		}
	}
	/* The table's checks never crash, and once they pass, every getter
	 * gives a value its entry allows. */
	if (settings_check(c, &e) == 0) {
		for (i = 0; i < settings_count; i++) {
			const struct setting *st = &settings[i];
			long long v2;

			if (st->type == SET_INT) {
				v2 = setting_int(c, st->name);
				if (v2 < st->min || v2 > st->max)
					abort();
			} else if (st->type != SET_BOOL &&
			    setting_str(c, st->name) == NULL && st->def) {
				abort();
			}
		}
	} else if (e.msg[0] == '\0') {
		abort();
	}
	config_free(c);
	config_free(c2);
	return 0;
}
