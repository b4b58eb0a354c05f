# test_prometheus_rules.sh - packaging/prometheus without a server: the
# configurations and rule files pass promtool and amtool, the recording
# and alerting rules pass their unit tests (tests/prometheus/*.test.yml:
# crafted series, exact values, alerts at the minute their for: ends,
# thresholds met exactly not firing), and Alertmanager routes each
# severity to its receivers.
#
# Needs (tests/integration/DEPS): prometheus (promtool),
# prometheus-alertmanager (amtool).
. "$(dirname "$0")/../setup.sh"
cd "$top"
p=packaging/prometheus

for t in promtool amtool; do
	command -v "$t" > /dev/null || { fail "$t is missing"; finish; exit 1; }
done

check "promtool check rules: recording rules" \
    promtool check rules "$p/macscan.rules.yml"
check "promtool check rules: alerting rules" \
    promtool check rules "$p/macscan.alerts.yml"
check_match "the site's config loads both rule files" \
    "SUCCESS: 2 rule files found" \
    "$(promtool check config "$p/prometheus.yml" 2>&1)"
check "promtool check config: the central Prometheus" \
    promtool check config "$p/central.yml"

# promtool test rules reads rule_files relative to the test file.
for f in tests/prometheus/*.test.yml; do
	out=$(promtool test rules "$f" 2>&1) && rc=0 || rc=$?
	if [ "$rc" -eq 0 ] && printf '%s\n' "$out" | grep -q '^  SUCCESS$'; then
		pass "promtool test rules ${f##*/}"
	else
		fail "promtool test rules ${f##*/}"
		printf '%s\n' "$out" | sed 's/^/     | /' | head -n 40
	fi
done

# A wrong expectation must fail: promtool really compares.
sed "s/value: 0\\.2\$/value: 0.25/; s|\\.\\./\\.\\./packaging|$top/packaging|" \
    tests/prometheus/rules.test.yml > "$T/mutant.test.yml"
out=$(promtool test rules "$T/mutant.test.yml" 2>&1) && rc=0 || rc=$?
check_eq "promtool test rules fails on a wrong value" 1 "$rc"
check_match "and names the value it got" 'got:.*C02A.* 2E-01' "$out"

# Each alert of the rule file is covered by a unit test.
alerts=$(sed -n 's/^ *- alert: *//p' "$p/macscan.alerts.yml" | sort)
tested=$(sed -n 's/^ *alertname: *//p' tests/prometheus/alerts.test.yml | sort -u)
check_eq "every alert has a unit test" "$alerts" "$tested"

am=$p/alertmanager.yml
check_match "amtool check-config: the Alertmanager example" \
    "SUCCESS" "$(amtool check-config "$am" 2>&1)"
route() { amtool config routes test --config.file="$am" "$@" 2>/dev/null; }
check_eq "critical goes to email and Slack" it-email-slack \
    "$(route severity=critical alertname=MacDiskCritical site=paris)"
check_eq "warning goes to email" it-email \
    "$(route severity=warning alertname=MacDiskLow site=paris)"
check_eq "info goes to Slack" it-slack \
    "$(route severity=info alertname=MacscanNewHosts site=paris)"
check_eq "anything else goes to email" it-email "$(route alertname=Other)"
check_eq "the alerts use exactly the routed severities" "critical info warning" \
    "$(sed -n 's/^ *severity: *//p' "$p/macscan.alerts.yml" | sort -u |
    tr '\n' ' ' | sed 's/ $//')"

# A broken Alertmanager config is refused (amtool really checks).
sed 's/receiver: it-slack$/receiver: nobody/' "$am" > "$T/bad.yml"
quiet() { "$@" > /dev/null 2>&1; }
check_eq "amtool refuses a route to an unknown receiver" 1 \
    "$(status quiet amtool check-config "$T/bad.yml")"

finish
