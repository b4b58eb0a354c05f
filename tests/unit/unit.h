/*
 * unit.h - what every Check suite shares: a main() that runs the suite
 * built by the file's suite() function.
 */
#ifndef MACSCAN_UNIT_H
#define MACSCAN_UNIT_H

#include <check.h>
#include <stdlib.h>

Suite *suite(void);

int
main(void)
{
	SRunner *sr = srunner_create(suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}

#endif
