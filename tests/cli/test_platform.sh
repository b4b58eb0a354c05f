#!/bin/sh
# tests/cli/test_platform.sh - the platform layer. Every Linux-only or
# GNU-only call lives in a platform file (lib/*_linux.c, evloop_epoll.c,
# cmd/macping/icmp_linux.c, neigh_netlink.c): the rest of lib/ and cmd/
# names none of them (comments aside). make picks the platform from
# uname -s, and each platform compiles exactly one file per concern.
# macOS's own files, which the portable build cannot run here (kqueue,
# the routing sysctl), compile against the documented declarations of
# tests/compat/bsd, with and without __APPLE__.
. "$(dirname "$0")/../setup.sh"
cd "$top"

platfiles() { make -s --no-print-directory platfiles PLATFORM="$1" | cut -d' ' -f2-; }
all_plat=$(for p in linux macos portable; do platfiles $p; done | tr ' ' '\n' | sort -u)

# 1. make picks the platform by itself.
case $(uname -s) in
Linux) want=linux ;;
Darwin) want=macos ;;
*) want=bsd ;;
esac
# (Run from make PLATFORM=..., the variable comes in MAKEFLAGS: drop it.)
check_eq "make picks the platform from uname -s" "$want" \
    "$(env -u MAKEFLAGS -u MFLAGS -u MAKELEVEL -u PLATFORM \
    make -s --no-print-directory platfiles | cut -d' ' -f1)"
check_match "an unknown platform is refused" "unknown platform 'vms'" \
    "$(make -s --no-print-directory platfiles PLATFORM=vms 2>&1)"

# 2. One file per concern on each platform.
concern() { sed 's|.*/||; s|_[a-z]*\.c$||'; }
for p in linux macos bsd portable; do
	files=$(platfiles $p | tr ' ' '\n')
	check_eq "$p: one file for each of the five concerns" \
	    "evloop icmp neigh priv sys" \
	    "$(printf '%s\n' "$files" | concern | sort | tr '\n' ' ' | sed 's/ $//')"
	for f in $files; do
		check "$p: $f exists" test -f "$f"
	done
done
check_eq "the portable build's event loop is poll" lib/evloop_poll.c \
    "$(platfiles portable | tr ' ' '\n' | grep evloop)"
check_eq "macOS's event loop is kqueue" lib/evloop_kqueue.c \
    "$(platfiles macos | tr ' ' '\n' | grep evloop)"

# 3. No Linux or GNU extension outside the platform files. The code is
# read without its comments (which may name what they avoid).
bad='epoll|sys/prctl\.h|prctl\(|<linux/|sys/syscall\.h|syscall\(|SOCK_NONBLOCK|SOCK_CLOEXEC|accept4|MSG_ERRQUEUE|IP_RECVERR|SO_SNDBUFFORCE|SO_RCVBUFFORCE|MSG_DONTWAIT|getrandom|getentropy|pipe2|dup3|memrchr|memmem|strchrnul|strcasestr|TEMP_FAILURE_RETRY|program_invocation|AF_NETLINK|AF_PACKET|sockaddr_ll|setresuid|setresgid|O_PATH|O_NOATIME|(^|[^_])fdatasync|sendfile|splice\(|__linux__|SO_PEERCRED|signalfd|timerfd|eventfd|inotify'
found=""
for f in lib/*.c lib/*.h cmd/*/*.c cmd/*/*.h; do
	if printf '%s\n' "$all_plat" | grep -qx "$f"; then continue; fi
	[ "$f" = lib/sys.h ] && continue	# names what it wraps
	hits=$(gcc -fpreprocessed -dD -E -P -x c "$f" 2>/dev/null |
	    grep -En "$bad" | head -n 3)
	[ -z "$hits" ] || found="$found
$f: $hits"
done
check_eq "no Linux or GNU call outside the platform files" "" "$found"
# The lint itself finds what it looks for.
printf 'int f(void) { return accept4(0, 0, 0, SOCK_CLOEXEC); }\n' > "$T/x.c"
check "the lint sees a Linux call" sh -c \
    "gcc -fpreprocessed -dD -E -P -x c '$T/x.c' | grep -Eq '$bad'"

# 4. macOS's platform files compile (they cannot run here).
for apple in "" -D__APPLE__; do
	check "macOS/BSD platform files compile ${apple:-(BSD)}" \
	    cc -fsyntax-only -std=c11 -Wall -Wextra -Wpedantic -Werror \
	    -D_DEFAULT_SOURCE $apple -Itests/compat/bsd -Ilib -Icmd/macping \
	    lib/evloop_kqueue.c cmd/macping/neigh_route.c lib/priv_posix.c \
	    lib/sys_posix.c cmd/macping/icmp_posix.c
done

finish
