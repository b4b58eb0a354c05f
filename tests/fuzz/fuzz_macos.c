/*
 * fuzz_macos.c - libFuzzer harness for the parsers of cmd/macprobe/macos*.c.
 *
 * The first byte picks the parser (the whole probe most often, since it
 * reaches all the others); the rest is its input. Every parser must return
 * without a crash, a leak or a sanitizer report, and leave a record that
 * record_check accepts and record_dump turns into valid UTF-8 JSON.
 *
 *	clang -fsanitize=fuzzer,address,undefined -Ilib -D_GNU_SOURCE \
 *	    tests/fuzz/fuzz_macos.c cmd/macprobe/macos*.c lib/record.c lib/util.c \
 *	    lib/rfc3339.c -ljansson -o fuzz_macos
 *	./fuzz_macos -max_total_time=60 tests/fuzz/corpus/macos
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "macos.h"
#include "record.h"
#include "util.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *s;
	size_t n;
	json_t *rec;
	struct ms_err e;
	long long sec;
	char *dump;

	if (size == 0)
		return 0;
	s = (const char *)data + 1;
	n = size - 1;
	rec = record_new();
	if (rec == NULL)
		return 0;
	switch (data[0] % 32) {
	case 0:
		(void)macos_parse_pmset(s, n, rec);
		break;
	case 1:
		(void)macos_parse_sw_vers(s, n, rec);
		break;
	case 2:
		(void)macos_parse_hardware(s, n, rec);
		(void)macos_parse_power(s, n, rec);
		break;
	case 3:
		(void)macos_parse_ioreg_battery(s, n, rec);
		break;
	case 4:
		(void)macos_parse_df(s, n, rec);
		break;
	case 5:
		(void)macos_parse_boottime(s, n, &sec);
		(void)macos_parse_uptime(s, n / 2, s + n / 2, n - n / 2, rec);
		break;
	case 6:
		(void)macos_parse_uname(s, n, rec);
		(void)macos_parse_memsize(s, n, rec);
		(void)macos_parse_available(s, n, rec);
		(void)macos_parse_console_user(s, n, rec);
		(void)macos_parse_line(s, n, rec, "computer_name");
		break;
	case 7: {
		const char *t;
		size_t tn;

		if (macos_section(s, n, "pmset", &t, &tn) == 1 &&
		    (t < s || t + tn > s + n))
			abort();
		break;
	}
	case 8:
		(void)macos_parse_fdesetup(s, n, rec);
		break;
	case 9:
		(void)macos_parse_csrutil(s, n, rec);
		(void)macos_parse_authroot(s, n, rec);
		break;
	case 10:
		(void)macos_parse_spctl(s, n, rec);
		(void)macos_parse_firewall(s, n, rec);
		break;
	case 11:
		(void)macos_parse_softwareupdate(s, n, rec);
		break;
	case 12:
		(void)macos_parse_su_prefs(s, n, rec);
		(void)macos_parse_xprotect(s, n, rec);
		break;
	case 13:
		/* Three texts: the first two bytes give two cut points. */
		if (n >= 2) {
			size_t a = (unsigned char)s[0] * n / 256 / 2;
			size_t b = a + (unsigned char)s[1] * (n - a) / 256;

			(void)macos_parse_tmutil(s, a, s + a, b - a, s + b,
			    n - b, rec);
		}
		break;
	case 14:
		(void)macos_parse_smart(s, n, rec);
		(void)macos_parse_enrollment(s, n, rec);
		break;
	case 15:
		(void)macos_parse_platform(s, n, rec);
		break;
	case 16:
		(void)macos_parse_ports(s, n, rec);
		break;
	case 17:
		(void)macos_parse_sysctl(s, n / 2, s + n / 2, n - n / 2, rec);
		(void)macos_parse_sysctl_chip(s, n, rec);
		break;
	default:
		(void)macos_parse_probe(s, n, rec, &e);
		break;
	}
	if (record_check(rec, NULL) != 0)
		abort();
	dump = record_dump(rec);
	if (dump == NULL || !ms_utf8_valid(dump, strlen(dump)))
		abort();
	free(dump);
	json_decref(rec);
	return 0;
}
