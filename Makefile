# macscan - agentless monitoring of a fleet of Macs
# See LICENSE file for copyright and license details.
.SUFFIXES:

include config.mk

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

MS_CFLAGS = $(CPPFLAGS) -Ilib -I$(O)/gen $(PKG_CFLAGS) $(CFLAGS) $(XCFLAGS)
MS_LDFLAGS = $(LDFLAGS) $(XLDFLAGS)

# Everything is discovered: a library module is lib/NAME.c, a program is
# cmd/NAME/ with C sources (or NAME.sh for a shell program), a unit suite
# is tests/unit/check_NAME.c, a fuzz harness is tests/fuzz/fuzz_NAME.c.
LIBSRC := $(sort $(wildcard lib/*.c))
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
	$(CC) $(MS_CFLAGS) -c -o $@ $<

$(O)/gen/embed.c: tools/embed.sh $(EMBEDSRC)
	@mkdir -p $(@D)
	sh tools/embed.sh $(EMBEDSRC) > $@.tmp && mv $@.tmp $@

$(O)/gen/embed.o: $(O)/gen/embed.c
	$(CC) $(MS_CFLAGS) -c -o $@ $<

$(LIB): $(LIBOBJ)
	rm -f $@
	ar rcs $@ $(LIBOBJ)

.SECONDEXPANSION:
$(CPROGS:%=$(O)/bin/%): $$(wildcard cmd/$$(@F)/*.c) $$(wildcard cmd/$$(@F)/*.h) $(HDRS) $(LIB)
	@mkdir -p $(@D)
	$(CC) $(MS_CFLAGS) -Icmd/$(@F) -o $@ $(filter %.c,$^) $(LIB) $(MS_LDFLAGS) $(PKG_LIBS)

$(SHPROGS:%=$(O)/bin/%): $$(wildcard cmd/$$(@F)/$$(@F).sh)
	@mkdir -p $(@D)
	sed 's|@SHAREDIR@|$(SHAREDIR)|g; s|@SYSCONFDIR@|$(SYSCONFDIR)|g; s|@VERSION@|$(VERSION)|g' $< > $@.tmp
	chmod 755 $@.tmp && mv $@.tmp $@

# A unit suite check_NAME of a program (cmd/NAME/ exists) is linked with
# that program's files but its main (cmd/NAME/NAME.c), so what only one
# program uses can live in the program and still be unit-tested.
unit_cmd = $(filter-out cmd/$(1)/$(1).c,$(wildcard cmd/$(1)/*.c))
$(O)/tests/check_%: tests/unit/check_%.c tests/unit/unit.h $(LIB) \
		$$(call unit_cmd,$$*) $$(wildcard cmd/$$*/*.h)
	@mkdir -p $(@D)
	$(CC) $(MS_CFLAGS) $(CHECK_CFLAGS) -Itests/unit $(if $(wildcard \
		cmd/$*/),-Icmd/$*) -o $@ $< $(call unit_cmd,$*) $(LIB) \
		$(MS_LDFLAGS) $(PKG_LIBS) $(CHECK_LIBS)

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

# libFuzzer harnesses, built with clang; FUZZTIME seconds per harness.
FUZZTIME = 60
fuzz:
	sh tools/deps.sh fuzz
	O=$(O)-fuzz FUZZTIME=$(FUZZTIME) sh tests/fuzz/run $(FUZZSRC)

install: all
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
	if [ -d packaging/systemd ]; then mkdir -p $(DESTDIR)$(UNITDIR) && \
		for u in packaging/systemd/*.service packaging/systemd/*.timer; do \
		[ -f "$$u" ] && sed 's|@PREFIX@|$(PREFIX)|g' "$$u" > \
		$(DESTDIR)$(UNITDIR)/$${u##*/}; done; fi; true
	mkdir -p $(DESTDIR)$(SYSUSERSDIR)
	cp -f packaging/systemd/macscan.sysusers $(DESTDIR)$(SYSUSERSDIR)/macscan.conf
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
	deps-demo demo bench fuzz install uninstall clean
