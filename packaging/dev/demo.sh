#!/usr/bin/env bash
# The whole story on the local services (run through `make demo`): a small
# fleet is planted with fresh secrets, scanned by the agent through Kafka
# into ClickHouse, analysed against a policy, and its findings ticketed in
# the built-in ticket system. Then one problem is fixed on its host and its
# ticket closed, another ticket is closed without a fix; the hosts are
# scanned again and NHI Radar verifies the first and reopens the second.
set -euo pipefail
cd "$(dirname "$0")/../.."

export NHI_KAFKA_BROKERS="${NHI_KAFKA_BROKERS:-127.0.0.1:${NHI_KAFKA_PORT:-19092}}"
export NHI_CLICKHOUSE_ADDR="${NHI_CLICKHOUSE_ADDR:-127.0.0.1:${NHI_CLICKHOUSE_PORT:-19000}}"
export NHI_CLICKHOUSE_DATABASE="${NHI_CLICKHOUSE_DATABASE:-nhi_demo}"
export NHI_KAFKA_TOPIC="${NHI_KAFKA_TOPIC:-nhi.demo}"
export NHI_FINGERPRINT_KEY="${NHI_FINGERPRINT_KEY:-demo-organisation-key-do-not-use}"
DB=$NHI_CLICKHOUSE_DATABASE
FLEET="${NHI_DEMO_FLEET:-$HOME/.cache/nhiradar/demo-fleet}"
OUTBOX="$FLEET/outbox.db"
CH_HOST="${NHI_CLICKHOUSE_ADDR%%:*}" CH_PORT="${NHI_CLICKHOUSE_ADDR##*:}"
ch() { clickhouse-client --host "$CH_HOST" --port "$CH_PORT" "$@"; }
nhictl() { bin/nhictl "$@"; }

STEP=""
step() { STEP="$*"; printf '\n== %s\n' "$*"; }
fail() { printf '\ndemo failed at step "%s": %s\n' "$STEP" "$*" >&2; exit 1; }
trap 'rc=$?; [[ $rc -ne 0 && -n "$STEP" ]] && printf "\ndemo failed at step \"%s\" (exit %d); the lines above say why. Services: packaging/dev/services.sh status\n" "$STEP" "$rc" >&2' EXIT

step "plant a fleet of three hosts with fresh secrets in $FLEET"
rm -rf "$FLEET"
go run ./packaging/dev/fleet -out "$FLEET" || fail "could not plant the fleet"
HOSTS=(prod-web-1 prod-web-2 dev-1)
find "$FLEET/hosts" -type f | sed "s|$FLEET/hosts/||" | sort | sed 's/^/  /'

step "policy: environments, owners, ticketing ($FLEET/policy.yaml)"
nhictl policy check "$FLEET/policy.yaml"

step "fresh demo database $DB"
ch -q "DROP DATABASE IF EXISTS $DB" || fail "ClickHouse on $NHI_CLICKHOUSE_ADDR does not answer: packaging/dev/services.sh up"

step "collector: Kafka topic $NHI_KAFKA_TOPIC -> ClickHouse"
LOG=$(mktemp)
# --analyze-every 0: the demo runs each analysis itself, with its policy and clock.
bin/nhi-collector run --batch-wait 300ms --analyze-every 0 >"$LOG" 2>&1 &
COLLECTOR=$!
cleanup() { kill "$COLLECTOR" 2>/dev/null; wait "$COLLECTOR" 2>/dev/null; rm -f "$LOG"; }
trap 'rc=$?; cleanup; [[ $rc -ne 0 ]] && printf "\ndemo failed at step \"%s\" (exit %d); the lines above say why. Services: packaging/dev/services.sh status\n" "$STEP" "$rc" >&2' EXIT
for _ in $(seq 1 100); do grep -q "collector running" "$LOG" && break; sleep 0.2; done
grep -q "collector running" "$LOG" || { cat "$LOG"; fail "the collector did not start"; }

# scan_fleet scans every host (and the live host, first time) and waits
# until ClickHouse holds every event.
scan_fleet() {
  local before expected=0 n
  before=$(ch -q "SELECT count() FROM $DB.events" 2>/dev/null || echo 0)
  for h in "${HOSTS[@]}"; do
    local start ms out
    start=$(date +%s%N)
    bin/nhi-agent scan --root "$FLEET/hosts/$h" --host "$h" --output jsonl 2>/dev/null > "$FLEET/last-scan.jsonl" || fail "the scan of $h failed"
    ms=$(( ($(date +%s%N) - start) / 1000000 + 1 ))
    out=$(wc -l < "$FLEET/last-scan.jsonl")
    bin/nhi-agent scan --root "$FLEET/hosts/$h" --host "$h" --output kafka 2>/dev/null || fail "the publish of $h to Kafka failed"
    expected=$((expected + out))
    printf '  %-12s %3d events from the shipped plugins in %d ms, published to Kafka\n' "$h" "$out" "$ms"
  done
  if [[ "${1:-}" == live ]]; then
    out=$(bin/nhi-agent scan --plugins accounts,sshkeys --output jsonl 2>/dev/null | wc -l)
    bin/nhi-agent scan --plugins accounts,sshkeys --output kafka 2>/dev/null || fail "the scan of this machine failed"
    expected=$((expected + out))
    printf '  %-12s %3d events published (this machine: accounts and SSH keys)\n' "$(hostname)" "$out"
  fi
  for _ in $(seq 1 150); do
    n=$(( $(ch -q "SELECT count() FROM $DB.events" 2>/dev/null || echo 0) - before ))
    [[ $n -ge $expected ]] && break; sleep 0.2
  done
  echo "  $n events stored in ClickHouse (the scans produced $expected)"
  [[ $n -ge $expected ]] || { tail -20 "$LOG"; fail "events missing in ClickHouse"; }
}

step "agent: scan every host through Kafka"
scan_fleet live

step "analyse: detectors, owners, findings; open tickets in the local ticket system"
nhictl analyze --policy "$FLEET/policy.yaml" --outbox "$OUTBOX"

step "findings"
nhictl findings

step "tickets"
nhictl tickets

finding() { nhictl findings --rule "$1" --host "$2" --output csv | awk -F, 'NR==2 {print $1}'; }
EXPOSED=$(finding exposed_file prod-web-1)
DORMANT=$(finding dormant prod-web-2)
[[ -n "$EXPOSED" && -n "$DORMANT" ]] || fail "the planted exposed file or dormant key was not found"

step "the service desk works two tickets"
echo "  fix on prod-web-1: chmod 600 /root/.aws/credentials, then close its ticket"
chmod 600 "$FLEET/hosts/prod-web-1/root/.aws/credentials"
nhictl tickets close "$EXPOSED" --note "chmod 600 /root/.aws/credentials" --by servicedesk
echo "  on prod-web-2 nothing is done, but the dormant key's ticket is closed anyway"
nhictl tickets close "$DORMANT" --note "looks fine to me" --by servicedesk

step "the next full scans"
sleep 1 # the scans must start after the closures
scan_fleet

step "analyse again: a closed ticket is not the proof, the scans are"
nhictl analyze --policy "$FLEET/policy.yaml" --outbox "$OUTBOX"

step "the fixed ticket, verified by the scans"
nhictl tickets show "$EXPOSED"

step "the ticket closed without a fix, reopened by the data"
nhictl tickets show "$DORMANT"

step "summary"
ch -q "SELECT kind, count() AS identities FROM $DB.nhi_inventory GROUP BY kind ORDER BY kind FORMAT PrettyCompactMonoBlock"
ch -q "SELECT rule, severity, state, count() AS findings FROM $DB.findings FINAL GROUP BY rule, severity, state ORDER BY rule, state FORMAT PrettyCompactMonoBlock"
ch -q "SELECT countIf(to_state = 'open') AS opened, countIf(to_state = 'verified') AS verified_by_the_scans, countIf(to_state = 'reopened') AS reopened_by_the_data FROM $DB.ticket_events FORMAT PrettyCompactMonoBlock"
[[ $(ch -q "SELECT state FROM $DB.tickets FINAL WHERE has(finding_ids, '$EXPOSED')") == verified ]] || fail "the fixed ticket was not verified"
[[ $(ch -q "SELECT state FROM $DB.tickets FINAL WHERE has(finding_ids, '$DORMANT')") == reopened ]] || fail "the ticket closed without a fix was not reopened"

step "report"
nhictl report --html "$FLEET/report.html" --policy "$FLEET/policy.yaml" || fail "the report could not be written"
echo "  open file://$FLEET/report.html (one self-contained page: no network, no server)"

STEP=""
step "explore further (same database and settings as the demo)"
cat <<HINT
  export NHI_CLICKHOUSE_DATABASE=$DB
  bin/nhictl inventory
  bin/nhictl findings --rule dormant
  bin/nhictl explain $DORMANT --policy $FLEET/policy.yaml
  bin/nhictl tickets show $DORMANT
  bin/nhictl tickets close $DORMANT --note "key removed"    # then rescan and analyse
  bin/nhictl analyze --policy $FLEET/policy.yaml --outbox $OUTBOX --dry-run
  bin/nhictl query
  bin/nhictl report --html report.html --policy $FLEET/policy.yaml
  clickhouse-client --host $CH_HOST --port $CH_PORT -q "SELECT kind, count() FROM $DB.nhi_inventory GROUP BY kind"
HINT
