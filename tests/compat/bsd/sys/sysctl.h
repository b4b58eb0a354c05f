/* sysctl(3), for compile checks only (tests/compat/bsd/README). */
#ifndef COMPAT_SYS_SYSCTL_H
#define COMPAT_SYS_SYSCTL_H
#include <stddef.h>

#define CTL_NET	4

int sysctl(int *name, unsigned namelen, void *oldp, size_t *oldlenp,
    void *newp, size_t newlen);
int sysctlbyname(const char *name, void *oldp, size_t *oldlenp, void *newp,
    size_t newlen);
#endif
