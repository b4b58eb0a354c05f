/*
 * exitcode.h - the exit codes of every macscan program, one table for
 * all of them (macscan(7), EXIT STATUS; each man page points there).
 * Scripts and systemd can rely on them:
 *
 *	0  success
 *	1  a negative answer: some hosts, targets or channels failed, or
 *	   nothing was found; the rest of the work was done
 *	2  usage or configuration: a bad flag, a bad macscan.conf; nothing
 *	   was done
 *	3  a system or store failure: out of memory, a file that cannot be
 *	   read or written, the store's lock not taken
 *	4  macalert only: messages went out but the alert state could not be
 *	   saved, so the next run may send them again
 */
#ifndef MACSCAN_EXITCODE_H
#define MACSCAN_EXITCODE_H

enum {
	MS_EXIT_OK = 0,
	MS_EXIT_SOME = 1,
	MS_EXIT_USAGE = 2,
	MS_EXIT_SYSTEM = 3,
	MS_EXIT_UNSAVED = 4
};

#endif
