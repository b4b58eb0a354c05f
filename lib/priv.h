/*
 * priv.h - giving up privileges once the sockets and files that need
 * them are open: become an unprivileged user for good, then lock the
 * process down so that nothing it runs can gain any back.
 *
 * priv_linux.c: the capability bounding set, setresuid/setresgid, the
 * capability sets and ambient set cleared, PR_SET_NO_NEW_PRIVS.
 * priv_posix.c (macOS, the BSDs): setgroups, setgid, setuid; macOS has
 * no capabilities and no no-new-privileges bit, so a process that is not
 * root holds nothing to give up there.
 *
 * Nothing here prints or exits: -1 with e set on failure.
 */
#ifndef MACSCAN_PRIV_H
#define MACSCAN_PRIV_H

#include <sys/types.h>

#include "util.h"

/* priv_become: keep the current user, rather than fail, when the system
 * will not let us change it (a user namespace where the target user is
 * not mapped, a container without CAP_SETUID). */
#define PRIV_MAY_KEEP	0x1u

/*
 * Become uid and gid for good: the real, effective and saved IDs, and
 * gid as the only group. Afterwards setuid(0) must fail, which is
 * checked. Returns 0; with PRIV_MAY_KEEP, the errno (EINVAL: not mapped,
 * EPERM: not allowed) that made it keep the current user; -1 on error.
 */
int priv_become(uid_t uid, gid_t gid, unsigned flags, struct ms_err *e);

/*
 * Hold nothing more from now on: on Linux, clear every capability
 * (permitted, effective, inheritable, ambient) and set
 * PR_SET_NO_NEW_PRIVS, so no exec can gain privileges. 0 or -1.
 */
int priv_lockdown(struct ms_err *e);

#endif
