# macscan - agentless monitoring of a fleet of Macs
# See LICENSE file for copyright and license details.
.SUFFIXES:

include config.mk

# The platform: config.mk's PLATFORM, else what uname -s says.
ifeq ($(PLATFORM),)
UNAME_S := $(shell uname -s 2>/dev/null)
ifeq ($(UNAME_S),Linux)
PLATFORM = linux
else ifeq ($(UNAME_S),Darwin)
PLATFORM = macos
else ifneq ($(filter FreeBSD OpenBSD DragonFly,$(UNAME_S)),)
PLATFORM = bsd
endif
endif

# On a Mac everything lives under PREFIX, as Homebrew's packages do: the
# configuration in PREFIX/etc, the store in PREFIX/var/lib/macscan, the
# logs in PREFIX/var/log/macscan (unless given on the command line).
# Homebrew's curl is keg-only: its pkg-config file is off the default path.
ifeq ($(PLATFORM),macos)
ifeq ($(origin SYSCONFDIR),file)
SYSCONFDIR = $(PREFIX)/etc
endif
ifeq ($(origin STATEDIR),file)
STATEDIR = $(PREFIX)/var/lib/macscan
endif
ifeq ($(origin LOGDIR),file)
LOGDIR = $(PREFIX)/var/log/macscan
endif
BREW_CURL := $(shell brew --prefix curl 2>/dev/null)
ifneq ($(BREW_CURL),)
PKG_CONFIG := PKG_CONFIG_PATH="$(BREW_CURL)/lib/pkgconfig:$$PKG_CONFIG_PATH" \
	$(PKG_CONFIG)
endif
endif

# Platform files: one per concern (event loop, system calls, privileges,
# macping's ICMP socket and neighbour table); a platform compiles one of
# each. Everything else uses only what macOS has (and POSIX names, as
# the portable build checks). portable keeps two Linux files: the
# neighbour table (no routing sysctl on Linux, no POSIX interface) and
# the capabilities (which only Linux has, and a POSIX setuid leaves).
PLATFILES_linux = lib/evloop_epoll.c lib/sys_linux.c lib/priv_linux.c \
	cmd/macping/icmp_linux.c cmd/macping/neigh_netlink.c
PLATFILES_macos = lib/evloop_kqueue.c lib/sys_posix.c lib/priv_posix.c \
	cmd/macping/icmp_posix.c cmd/macping/neigh_route.c
PLATFILES_bsd = $(PLATFILES_macos)
PLATFILES_portable = lib/evloop_poll.c lib/sys_posix.c lib/priv_linux.c \
	cmd/macping/icmp_posix.c cmd/macping/neigh_netlink.c
PLATFILES_ALL := $(sort $(PLATFILES_linux) $(PLATFILES_macos) \
	$(PLATFILES_portable))
PLATFILES := $(PLATFILES_$(PLATFORM))
ifeq ($(PLATFILES),)
$(error unknown platform '$(PLATFORM)': set PLATFORM=linux, macos, bsd or portable)
endif

# Each platform's feature macros. The portable build is POSIX.1-2008
# with implicit declarations as errors, so a call outside POSIX fails to
# build; the files named below also use an interface that POSIX does not
# name but that Linux, macOS and the BSDs all have (the reason beside
# each), and get _DEFAULT_SOURCE (BSD) or _XOPEN_SOURCE=700 (XSI) for it.
# Linux platform files define _GNU_SOURCE themselves.
ifeq ($(PLATFORM),linux)
PLAT_CPPFLAGS = -D_GNU_SOURCE
endif
ifeq ($(PLATFORM),portable)
PLAT_CPPFLAGS = -D_POSIX_C_SOURCE=200809L
PLAT_CFLAGS = -Werror=implicit-function-declaration
PORTABLE_BSD = \
	lib/sys_posix.c \
	cmd/macping/macping.c \
	cmd/machttp/machttp.c \
	lib/mime.c
PORTABLE_XSI = \
	cmd/macstore/import.c \
	cmd/macstore/table.c
endif
# lib/sys_posix.c      arc4random_buf
# cmd/macping/macping.c getifaddrs, IFF_UP, IFF_LOOPBACK
# cmd/machttp/machttp.c NI_MAXHOST, NI_MAXSERV
# lib/mime.c           struct tm's tm_gmtoff
# cmd/macstore/import.c XSI: strptime
# cmd/macstore/table.c  XSI: wcwidth
file_cppflags = $(if $(filter $(1),$(PORTABLE_BSD)),-D_DEFAULT_SOURCE) \
	$(if $(filter $(1),$(PORTABLE_XSI)),-D_XOPEN_SOURCE=700)

PKG_CFLAGS := $(shell $(PKG_CONFIG) --cflags $(PKGS) 2>/dev/null)
PKG_LIBS := $(shell $(PKG_CONFIG) --libs $(PKGS) 2>/dev/null || echo "-lssh -ljansson -lcurl")
CHECK_CFLAGS := $(shell $(PKG_CONFIG) --cflags check 2>/dev/null)
CHECK_LIBS := $(shell $(PKG_CONFIG) --libs check 2>/dev/null || echo "-lcheck")

ifeq ($(WERROR),1)
XCFLAGS += -Werror
endif
ifneq ($(SANITIZE),)
XCFLAGS += -fsanitize=$(SANITIZE) -fno-omit-frame-pointer -fno-sanitize-recover=all
XLDFLAGS += -fsanitize=$(SANITIZE)
endif

MS_CFLAGS = $(CPPFLAGS) $(PLAT_CPPFLAGS) -Ilib -I$(O)/gen $(PKG_CFLAGS) \
	$(CFLAGS) $(PLAT_CFLAGS) $(XCFLAGS)
MS_LDFLAGS = $(LDFLAGS) $(XLDFLAGS)

# Everything is discovered: a library module is lib/NAME.c, a program is
# cmd/NAME/ with C sources (or NAME.sh for a shell program), a unit suite
# is tests/unit/check_NAME.c, a fuzz harness is tests/fuzz/fuzz_NAME.c.
LIBSRC := $(sort $(filter-out $(PLATFILES_ALL),$(wildcard lib/*.c)) \
	$(filter lib/%,$(PLATFILES)))
LIBOBJ := $(LIBSRC:%.c=$(O)/%.o) $(O)/gen/embed.o
LIB := $(O)/libmacscan.a
CPROGS := $(sort $(patsubst cmd/%/,%,$(dir $(wildcard cmd/*/*.c))))
SHPROGS := $(sort $(patsubst cmd/%/,%,$(dir $(wildcard cmd/*/*.sh))))
BINS := $(CPROGS:%=$(O)/bin/%) $(SHPROGS:%=$(O)/bin/%)
UNITSRC := $(sort $(wildcard tests/unit/check_*.c))
UNITS := $(UNITSRC:tests/unit/%.c=$(O)/tests/%)
FUZZSRC := $(sort $(wildcard tests/fuzz/fuzz_*.c))
EMBEDSRC := $(sort $(shell find share -type f ! -path 'share/installers/*' \
	! -name '.*' 2>/dev/null))
MAN1 := $(sort $(wildcard man/*.1))
MAN5 := $(sort $(wildcard man/*.5))
MAN7 := $(sort $(wildcard man/*.7))
HDRS := $(wildcard lib/*.h)

all: $(LIB) $(BINS)

$(O)/lib/%.o: lib/%.c $(HDRS) config.mk
	@mkdir -p $(@D)
	$(CC) $(MS_CFLAGS) $(call file_cppflags,$<) -c -o $@ $<

$(O)/gen/embed.c: tools/embed.sh $(EMBEDSRC)
	@mkdir -p $(@D)
	sh tools/embed.sh $(EMBEDSRC) > $@.tmp && mv $@.tmp $@

$(O)/gen/embed.o: $(O)/gen/embed.c
	$(CC) $(MS_CFLAGS) -c -o $@ $<

$(LIB): $(LIBOBJ)
	rm -f $@
	ar rcs $@ $(LIBOBJ)

# A program's sources: its directory's, less the other platforms' files.
progsrc = $(filter-out $(filter-out $(PLATFILES),$(PLATFILES_ALL)), \
	$(wildcard cmd/$(1)/*.c))

.SECONDEXPANSION:
$(O)/cmd/%.o: cmd/%.c $(HDRS) $$(wildcard $$(dir cmd/$$*)*.h) config.mk
	@mkdir -p $(@D)
	$(CC) $(MS_CFLAGS) $(call file_cppflags,$<) -I$(<D) -c -o $@ $<

$(CPROGS:%=$(O)/bin/%): $$(patsubst %.c,$(O)/%.o,$$(call progsrc,$$(@F))) \
	$$(wildcard cmd/$$(@F)/*.h) $(LIB)
	@mkdir -p $(@D)
	$(CC) $(MS_CFLAGS) -o $@ $(filter %.o,$^) $(LIB) $(MS_LDFLAGS) $(PKG_LIBS)

# launchd's jobs with this build's paths (make install puts them in
# SHAREDIR/launchd on a Mac).
PLISTS := $(patsubst packaging/launchd/%,$(O)/launchd/%,\
	$(wildcard packaging/launchd/*.plist))
launchd: $(PLISTS)
$(O)/launchd/%.plist: packaging/launchd/%.plist config.mk
	@mkdir -p $(@D)
	sed 's|@PREFIX@|$(PREFIX)|g; s|@SYSCONFDIR@|$(SYSCONFDIR)|g; s|@STATEDIR@|$(STATEDIR)|g; s|@LOGDIR@|$(LOGDIR)|g; s|@SHAREDIR@|$(SHAREDIR)|g' $< > $@.tmp && mv $@.tmp $@

$(SHPROGS:%=$(O)/bin/%): $$(wildcard cmd/$$(@F)/$$(@F).sh)
	@mkdir -p $(@D)
	sed 's|@SHAREDIR@|$(SHAREDIR)|g; s|@SYSCONFDIR@|$(SYSCONFDIR)|g; s|@VERSION@|$(VERSION)|g' $< > $@.tmp
	chmod 755 $@.tmp && mv $@.tmp $@

# A unit suite check_NAME of a program (cmd/NAME/ exists) is linked with
# that program's files but its main (cmd/NAME/NAME.c), this platform's
# only, so what only one program uses can live in the program and still
# be unit-tested.
# A suite of one part of a program names the program here (tests/fuzz/run
# knows the same pairs).
UNIT_PROG_macos = macprobe
UNIT_PROG_macos_posture = macprobe
UNIT_PROG_http = machttp
unit_prog = $(or $(UNIT_PROG_$(1)),$(1))
unit_cmd = $(filter-out cmd/$(call unit_prog,$(1))/$(call unit_prog,$(1)).c,\
	$(call progsrc,$(call unit_prog,$(1))))
$(O)/tests/check_%: tests/unit/check_%.c $(wildcard tests/unit/*.h) $(LIB) \
		$$(call unit_cmd,$$*) $$(wildcard cmd/$$(call unit_prog,$$*)/*.h)
	@mkdir -p $(@D)
	$(CC) $(MS_CFLAGS) $(CHECK_CFLAGS) -Itests/unit $(if $(wildcard \
		cmd/$(call unit_prog,$*)/),-Icmd/$(call unit_prog,$*)) -o $@ $< \
		$(call unit_cmd,$*) $(LIB) $(MS_LDFLAGS) $(PKG_LIBS) $(CHECK_LIBS)

units: $(UNITS)

# The test suites. check-unit runs the Check suites; check-sh runs the
# command-line, lab and integration tests (tests/run). check does both,
# after installing what the tests need.
check: deps-test
	$(MAKE) all units
	$(MAKE) check-unit
	$(MAKE) check-sh

check-unit: $(UNITS)
	sh tests/unit/run $(UNITS)

check-sh: all
	O=$(O) sh tests/run

# Memcheck over the unit suites (CK_FORK=no so valgrind sees each test).
check-valgrind: $(UNITS)
	VALGRIND=1 sh tests/unit/run $(UNITS)

deps:
	sh tools/deps.sh build

deps-test:
	sh tools/deps.sh test

deps-demo:
	sh tools/deps.sh demo

demo: deps-demo
	$(MAKE) all
	O=$(O) sh tools/demo.sh

bench: all
	O=$(O) sh tests/bench/run

# The Docker image and compose file, built and run against the lab
# (root; starts its own dockerd unless DOCKER_HOST names one).
docker-check:
	sh tools/deps.sh docker
	bash tests/docker/check.sh

# libFuzzer harnesses, built with clang; FUZZTIME seconds per harness.
FUZZTIME = 60
fuzz:
	sh tools/deps.sh fuzz
	O=$(O)-fuzz FUZZTIME=$(FUZZTIME) LIBSRC="$(LIBSRC)" \
		PLATSKIP="$(filter-out $(PLATFILES),$(PLATFILES_ALL))" \
		sh tests/fuzz/run $(FUZZSRC)

# The library's sources for this platform and the other platforms' files
# (tests/fuzz/run asks), and the platform with its files
# (tests/cli/test_platform.sh).
libsrc:
	@echo $(LIBSRC)
platskip:
	@echo $(filter-out $(PLATFILES),$(PLATFILES_ALL))
platfiles:
	@echo $(PLATFORM) $(PLATFILES)

install: all $(if $(filter macos,$(PLATFORM)),launchd)
	mkdir -p $(DESTDIR)$(PREFIX)/bin
	for b in $(BINS); do cp -f $$b $(DESTDIR)$(PREFIX)/bin/ && \
		chmod 755 $(DESTDIR)$(PREFIX)/bin/$${b##*/}; done
	mkdir -p $(DESTDIR)$(SHAREDIR)
	cp -Rf share/. $(DESTDIR)$(SHAREDIR)/
	mkdir -p $(DESTDIR)$(MANPREFIX)/man1 $(DESTDIR)$(MANPREFIX)/man5 \
		$(DESTDIR)$(MANPREFIX)/man7
	for m in $(MAN1); do cp -f $$m $(DESTDIR)$(MANPREFIX)/man1/; done
	for m in $(MAN5); do cp -f $$m $(DESTDIR)$(MANPREFIX)/man5/; done
	for m in $(MAN7); do cp -f $$m $(DESTDIR)$(MANPREFIX)/man7/; done
ifeq ($(PLATFORM),macos)
	mkdir -p $(DESTDIR)$(SHAREDIR)/launchd $(DESTDIR)$(STATEDIR) \
		$(DESTDIR)$(LOGDIR)
	for p in $(PLISTS); do cp -f $$p $(DESTDIR)$(SHAREDIR)/launchd/; done
else
	if [ -d packaging/systemd ]; then mkdir -p $(DESTDIR)$(UNITDIR) && \
		for u in packaging/systemd/*.service packaging/systemd/*.timer; do \
		[ -f "$$u" ] && sed 's|@PREFIX@|$(PREFIX)|g' "$$u" > \
		$(DESTDIR)$(UNITDIR)/$${u##*/}; done; fi; true
	mkdir -p $(DESTDIR)$(SYSUSERSDIR)
	cp -f packaging/systemd/macscan.sysusers $(DESTDIR)$(SYSUSERSDIR)/macscan.conf
endif
	mkdir -p $(DESTDIR)$(SYSCONFDIR)/macscan
	# The configuration holds secrets: never readable by others, and
	# readable by the macscan group where it exists.
	if [ -f share/macscan.conf.example ] && \
		[ ! -f $(DESTDIR)$(SYSCONFDIR)/macscan/macscan.conf ]; then \
		cp share/macscan.conf.example \
		$(DESTDIR)$(SYSCONFDIR)/macscan/macscan.conf && \
		chmod 0640 $(DESTDIR)$(SYSCONFDIR)/macscan/macscan.conf && \
		{ ! getent group macscan >/dev/null 2>&1 || chgrp macscan \
		$(DESTDIR)$(SYSCONFDIR)/macscan/macscan.conf; }; fi

uninstall:
	for b in $(CPROGS) $(SHPROGS); do rm -f $(DESTDIR)$(PREFIX)/bin/$$b; done
	rm -rf $(DESTDIR)$(SHAREDIR)
	for m in $(MAN1); do rm -f $(DESTDIR)$(MANPREFIX)/man1/$${m##*/}; done
	for m in $(MAN5); do rm -f $(DESTDIR)$(MANPREFIX)/man5/$${m##*/}; done
	for m in $(MAN7); do rm -f $(DESTDIR)$(MANPREFIX)/man7/$${m##*/}; done
	for u in packaging/systemd/*.service packaging/systemd/*.timer; do \
		rm -f $(DESTDIR)$(UNITDIR)/$${u##*/}; done
	rm -f $(DESTDIR)$(SYSUSERSDIR)/macscan.conf

clean:
	rm -rf $(O) $(O)-fuzz $(O)-san

.PHONY: all units check check-unit check-sh check-valgrind deps deps-test \
	deps-demo demo bench docker-check fuzz libsrc platskip platfiles \
	launchd install uninstall clean
