#!/bin/sh
# tests/cli/test_launchd.sh - the launchd jobs of packaging/launchd, as
# make puts them in a Mac's install (PLATFORM=macos, PREFIX=/usr/local):
# each valid against Apple's plist DTD (xmllint, the DTD a fixture: no
# network), read by Python's plistlib (the format launchd reads), and
# holding the keys the README promises: the scan every 10 minutes, the
# Clean Desk reminder on Fridays at 16:00, the dashboard always on as
# nobody; paths under PREFIX, programs this project installs, keys that
# launchd.plist(5) knows. plutil and launchd itself exist only on a Mac.
. "$(dirname "$0")/../setup.sh"
cd "$top"
for c in xmllint python3; do
	command -v "$c" > /dev/null 2>&1 || { fail "$c is missing"; finish; }
done

out=$T/o
make -s --no-print-directory O="$out" PLATFORM=macos PREFIX=/usr/local \
    launchd > "$T/make.log" 2>&1 || { cat "$T/make.log"; fail "make launchd"; finish; }
check_eq "three jobs" "org.macscan.machttp.plist org.macscan.notify.plist org.macscan.scan.plist" \
    "$(ls "$out/launchd" | tr '\n' ' ' | sed 's/ $//')"

cat > "$T/catalog.xml" <<EOF
<?xml version="1.0"?>
<catalog xmlns="urn:oasis:names:tc:entity:xmlns:xml:catalog">
  <public publicId="-//Apple//DTD PLIST 1.0//EN"
    uri="file://$top/tests/fixtures/launchd/PropertyList-1.0.dtd"/>
</catalog>
EOF
valid() { XML_CATALOG_FILES=$T/catalog.xml xmllint --nonet --noout --valid "$1"; }
for p in packaging/launchd/*.plist "$out"/launchd/*.plist; do
	check "${p#"$T"/}: valid against the plist DTD" valid "$p"
done
# The DTD check can fail: a misspelt element is refused.
sed 's/<integer>600</<integr>600</; s/<\/integer>/<\/integr>/' \
    "$out/launchd/org.macscan.scan.plist" > "$T/bad.plist"
check "a misspelt element is refused" sh -c "! XML_CATALOG_FILES=$T/catalog.xml xmllint --nonet --noout --valid $T/bad.plist 2>/dev/null"

# job NAME KEY: the value of KEY (JSON) in the installed job NAME.
job() {
	python3 -c 'import json, plistlib, sys
with open(sys.argv[1], "rb") as f:
    d = plistlib.load(f)
print(json.dumps(d.get(sys.argv[2]), sort_keys=True, separators=(",", ":")))' \
	    "$out/launchd/org.macscan.$1.plist" "$2"
}
for j in scan notify machttp; do
	check_eq "$j: Label" "\"org.macscan.$j\"" "$(job "$j" Label)"
	check_eq "$j: the configuration under PREFIX" \
	    '"/usr/local/etc/macscan/macscan.conf"' \
	    "$(job "$j" EnvironmentVariables | python3 -c 'import json, sys; print(json.dumps(json.load(sys.stdin)["MACSCAN_CONF"]))')"
	check_match "$j: the log under PREFIX/var/log/macscan" \
	    '^"/usr/local/var/log/macscan/[a-z]+\.log"$' "$(job "$j" StandardErrorPath)"
	prog=$(job "$j" ProgramArguments | python3 -c 'import json, sys; print(json.load(sys.stdin)[0])')
	check "$j: runs $prog, a program of this project" \
	    test -e "cmd/$(basename "$prog")" -a "$(dirname "$prog")" = /usr/local/bin
	unknown=$(python3 -c 'import plistlib, sys
known = {"Label", "ProgramArguments", "EnvironmentVariables", "UserName",
    "KeepAlive", "RunAtLoad", "StartInterval", "StartCalendarInterval",
    "StandardOutPath", "StandardErrorPath"}
with open(sys.argv[1], "rb") as f:
    print(" ".join(sorted(set(plistlib.load(f)) - known)))' \
	    "$out/launchd/org.macscan.$j.plist")
	check_eq "$j: only keys launchd.plist(5) documents" "" "$unknown"
done
check_eq "scan: macscan scan" '["/usr/local/bin/macscan","scan"]' \
    "$(job scan ProgramArguments)"
check_eq "scan: every 10 minutes" 600 "$(job scan StartInterval)"
check_eq "scan: at load too" true "$(job scan RunAtLoad)"
check_eq "scan: the store under PREFIX" '"/usr/local/var/lib/macscan"' \
    "$(job scan EnvironmentVariables | python3 -c 'import json, sys; print(json.dumps(json.load(sys.stdin)["MACSCAN_DIR"]))')"
check_eq "notify: macscan notify" '["/usr/local/bin/macscan","notify"]' \
    "$(job notify ProgramArguments)"
check_eq "notify: Fridays at 16:00" '{"Hour":16,"Minute":0,"Weekday":5}' \
    "$(job notify StartCalendarInterval)"
check_eq "machttp: the store, read-only, under PREFIX" \
    '["/usr/local/bin/machttp","-d","/usr/local/var/lib/macscan"]' \
    "$(job machttp ProgramArguments)"
check_eq "machttp: as nobody" '"nobody"' "$(job machttp UserName)"
check_eq "machttp: always on" true "$(job machttp KeepAlive)"
check_eq "no placeholder left" "" "$(grep -l '@[A-Z]*@' "$out"/launchd/*.plist || true)"

finish
