/*
 * sys.h - the few system calls whose best form differs between Linux
 * and macOS, behind one name each. sys_linux.c uses the Linux forms
 * (SOCK_NONBLOCK and SOCK_CLOEXEC flags, accept4, getrandom); sys_posix.c
 * the portable ones (fcntl after the call, SO_NOSIGPIPE where the system
 * has it, arc4random_buf). The Makefile compiles one of them.
 *
 * Every descriptor these return is close-on-exec. Sockets never raise
 * SIGPIPE where the system can say so per socket (SO_NOSIGPIPE on macOS
 * and the BSDs, which have no MSG_NOSIGNAL everywhere): a library such as
 * libssh writing to one cannot kill its program. Elsewhere the programs
 * that write to sockets ignore SIGPIPE, as they do today.
 * Functions return -1 with errno set on failure; nothing prints.
 */
#ifndef MACSCAN_SYS_H
#define MACSCAN_SYS_H

#include <sys/types.h>
#include <sys/socket.h>

#include <stddef.h>

/* socket(2), close-on-exec, non-blocking when nonblock is set. */
int sys_socket(int domain, int type, int protocol, int nonblock);
/* accept(2): the new socket is close-on-exec and non-blocking. */
int sys_accept(int fd, struct sockaddr *sa, socklen_t *len);
/* Fill buf with n bytes from the system's secure random source. */
int sys_random(void *buf, size_t n);
/*
 * Put fd's data on stable storage, as fdatasync(2) does on Linux (the
 * drive's cache flushed too). macOS declares no fdatasync, and its fsync
 * leaves the drive's cache: there it is fcntl(F_FULLFSYNC), falling back
 * to fsync on file systems that do not support it.
 */
int sys_fdatasync(int fd);

#endif
