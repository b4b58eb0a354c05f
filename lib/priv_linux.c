/*
 * priv_linux.c - priv.h on Linux: capabilities and prctl(2).
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE	/* setresuid, setresgid, setgroups */
#endif
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/types.h>

#include <linux/capability.h>

#include <errno.h>
#include <grp.h>
#include <string.h>
#include <unistd.h>

#include "priv.h"

/* An errno that says the system will not change our user here. */
static int
denied(int err)
{
	return err == EINVAL || err == EPERM;
}

int
priv_become(uid_t uid, gid_t gid, unsigned flags, struct ms_err *e)
{
	int cap, may_keep = flags & PRIV_MAY_KEEP;

	/* The bounding set, while CAP_SETPCAP is still ours (a container
	 * may refuse: the rest still holds). */
	for (cap = 0; cap < 64; cap++)
		if (prctl(PR_CAPBSET_DROP, cap, 0, 0, 0) == -1 &&
		    errno == EINVAL)
			break;
	/*
	 * In a user namespace (unshare -r), setgroups may be denied (EPERM)
	 * and the user unmapped (EINVAL); in a container, root may lack
	 * CAP_SETUID (EPERM).
	 */
	if (setgroups(1, &gid) == -1 && !(may_keep && errno == EPERM))
		return ms_err_set(e, "setgroups:");
	if (setresgid(gid, gid, gid) == -1 && !(may_keep && denied(errno)))
		return ms_err_set(e, "setresgid:");
	if (setresuid(uid, uid, uid) == -1) {
		if (may_keep && denied(errno))
			return errno;
		return ms_err_set(e, "setresuid:");
	}
	if (setuid(0) != -1 || geteuid() == 0)
		return ms_err_set(e, "could not drop root privileges");
	return 0;
}

int
priv_lockdown(struct ms_err *e)
{
	struct __user_cap_header_struct hdr;
	struct __user_cap_data_struct data[2];

	memset(&hdr, 0, sizeof(hdr));
	hdr.version = _LINUX_CAPABILITY_VERSION_3;
	memset(data, 0, sizeof(data));
	if (syscall(SYS_capset, &hdr, data) == -1)
		return ms_err_set(e, "capset:");
	(void)prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0);
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) == -1)
		return ms_err_set(e, "prctl(PR_SET_NO_NEW_PRIVS):");
	return 0;
}
