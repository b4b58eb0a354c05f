# macscan version
VERSION = 0.1.0

# paths
PREFIX = /usr/local
MANPREFIX = $(PREFIX)/share/man
SHAREDIR = $(PREFIX)/share/macscan
SYSCONFDIR = /etc
STATEDIR = /var/lib/macscan
# launchd's logs (macOS; systemd has the journal)
LOGDIR = /var/log/macscan
UNITDIR = $(PREFIX)/lib/systemd/system
SYSUSERSDIR = $(PREFIX)/lib/sysusers.d

# build directory (objects, binaries, test programs)
O = build

# toolchain
CC = cc
PKG_CONFIG = pkg-config
PKGS = libssh jansson libcurl

# platform: linux, macos, bsd (FreeBSD, OpenBSD, DragonFly) or portable;
# empty picks it from uname -s. portable is POSIX.1-2008 and poll(2) on
# Linux, to test here the code macOS builds: make PLATFORM=portable
# O=build-portable check. The Makefile adds each platform's feature
# macros (-D_GNU_SOURCE on Linux) and its platform files.
PLATFORM =

# flags
CPPFLAGS = -DVERSION=\"$(VERSION)\" \
	-DSHAREDIR=\"$(SHAREDIR)\" -DSYSCONFDIR=\"$(SYSCONFDIR)\" \
	-DSTATEDIR=\"$(STATEDIR)\"
CFLAGS = -std=c11 -Wall -Wextra -Wpedantic -O2 -g
LDFLAGS =
# WERROR=1 turns warnings into errors (CI sets it).
# SANITIZE=address,undefined builds everything with those sanitizers.
