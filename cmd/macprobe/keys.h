/*
 * keys.h - macprobe -K (keys.c): list the hosts' SSH keys, pin the new
 * ones the admin approved.
 */
#ifndef MACPROBE_KEYS_H
#define MACPROBE_KEYS_H

#include "sshcli.h"

/*
 * Read hosts on stdin, print one line per host on stdout. sc is set up
 * (sshcli_setup). A new key is pinned with all set, or when its
 * fingerprint is one of the nfps at fps (a NULL-terminated tail of argv,
 * checked and normalised here). Returns the exit status: 0, or 1 when a
 * host failed, has a changed key, or an input line was bad. Dies with 2
 * on a malformed fingerprint, 3 on a system failure.
 */
int keys_main(struct sshcli *sc, char **fps, int nfps, int all);

#endif
