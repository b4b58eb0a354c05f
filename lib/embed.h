/*
 * embed.h - files of share/ compiled into the programs.
 *
 * The build turns every file under share/ (but installers/) into a byte
 * array, so a program works without its share directory installed. The
 * returned data is static, NUL-terminated and must not be freed.
 */
#ifndef MACSCAN_EMBED_H
#define MACSCAN_EMBED_H

#include <stddef.h>

struct embed_file {
	const char *name;
	const char *data;
	size_t len;
};

/* The contents of share/NAME, with its length in *len; NULL if unknown. */
const char *embed_get(const char *name, size_t *len);

#endif
