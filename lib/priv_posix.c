/*
 * priv_posix.c - priv.h on macOS and the BSDs: setgroups(2) (the one BSD
 * call here: built with _DEFAULT_SOURCE in the portable variant), then
 * setgid and setuid, which for root set the real, effective and saved
 * IDs alike. There are no capabilities to clear.
 */
#include <sys/types.h>

#include <errno.h>
#include <grp.h>
#include <unistd.h>

#include "priv.h"

static int
denied(int err)
{
	return err == EINVAL || err == EPERM;
}

int
priv_become(uid_t uid, gid_t gid, unsigned flags, struct ms_err *e)
{
	int may_keep = flags & PRIV_MAY_KEEP;

	if (setgroups(1, &gid) == -1 && !(may_keep && errno == EPERM))
		return ms_err_set(e, "setgroups:");
	if (setgid(gid) == -1 && !(may_keep && denied(errno)))
		return ms_err_set(e, "setgid:");
	if (setuid(uid) == -1) {
		if (may_keep && denied(errno))
			return errno;
		return ms_err_set(e, "setuid:");
	}
	if (setuid(0) != -1 || geteuid() == 0)
		return ms_err_set(e, "could not drop root privileges");
	return 0;
}

int
priv_lockdown(struct ms_err *e)
{
	(void)e;
	return 0;
}
