# remote.sh - what macnotify runs on each Mac, as `/bin/sh -c SCRIPT
# macnotify JS` (SCRIPT is this file, JS is dialog.js). Fixed code: no
# part of the message is ever in it. Standard input carries one line for
# sudo (the SSH password, or empty) and then the dialog as JSON, which
# only dialog.js reads. Neither file may hold a single quote: macnotify
# passes them inside single quotes to the login shell.
PATH=/usr/bin:/bin:/usr/sbin:/sbin
export PATH
u=$(stat -f%Su /dev/console 2>/dev/null)
case $u in
""|root|loginwindow|_mbsetupuser)
	echo "@@macnotify:nobody ${u:-none}"
	exit 0 ;;
esac
uid=$(stat -f%u /dev/console 2>/dev/null)
case $uid in
""|*[!0-9]*) echo "@@macnotify:failed $u cannot read the console user id"; exit 0 ;;
esac
IFS= read -r pw || pw=
# launchctl asuser needs root: log in as root, or sudo (primed once with
# the password, so the dialog data never meets a password prompt).
if [ "$(id -u)" = 0 ]; then
	s=
else
	[ -n "$pw" ] && printf "%s\n" "$pw" | sudo -S -p "" -v >/dev/null 2>&1
	s="sudo -n"
fi
pw=
# A directory of our own (mode 0700, a name nobody can guess): another
# user of the Mac can plant nothing in it, so no file here is reached
# through a link. Both files are opened here, before the dialog starts,
# and the directory goes when the script ends.
d=$(mktemp -d "${TMPDIR:-/tmp}/macnotify.XXXXXXXX") || { echo "@@macnotify:failed $u mktemp"; exit 0; }
trap "rm -rf \"\$d\"" EXIT
cat > "$d/dialog"
exec 3< "$d/dialog" 4> "$d/err"
# The dialog closes by itself, so it runs in the background: the SSH
# session ends now, not when someone clicks OK.
$s launchctl asuser "$uid" sudo -n -u "$u" /usr/bin/osascript -l JavaScript -e "$1" <&3 >/dev/null 2>&4 3<&- 4>&- &
pid=$!
exec 3<&- 4>&-
sleep 1
if kill -0 "$pid" 2>/dev/null; then
	echo "@@macnotify:shown $u"
	exit 0
fi
wait "$pid"
rc=$?
if [ "$rc" = 0 ]; then
	echo "@@macnotify:shown $u"
else
	echo "@@macnotify:failed $u exit $rc: $(head -c 300 "$d/err" | tr "\n" " ")"
fi
