/*
 * The record and stream reader on arbitrary bytes: every item is either a
 * record that passes record_check and survives a dump/parse round trip,
 * or a bad line with a message that names the input and its line.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "record.h"
#include "stream.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct stream s;
	struct stream_item it;
	struct ms_err e;
	FILE *fp;
	int r;

	if (size == 0)
		return 0;
	if ((fp = fmemopen((void *)data, size, "r")) == NULL)
		return 0;
	stream_init(&s, fp, "fuzz", 4096);
	while ((r = stream_next(&s, &it, &e)) != STREAM_EOF) {
		if (r == STREAM_FAIL)
			abort();
		if (r == STREAM_BAD) {
			if (strncmp(e.msg, "fuzz:", 5) != 0)
				abort();
			continue;
		}
		if (record_check(it.rec, &e) != 0)
			abort();
		{
			char *d = record_dump(it.rec);
			json_t *back;

			if (d == NULL)
				abort();
			back = record_parse(d, strlen(d), &e);
			if (back == NULL || !json_equal(back, it.rec))
				abort();
			json_decref(back);
			free(d);
		}
		json_decref(it.rec);
	}
	stream_close(&s);
	fclose(fp);
	return 0;
}
