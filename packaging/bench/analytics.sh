#!/usr/bin/env bash
# Governance analysis: a fleet's history (default 10,000,000 events over
# 200,000 identities and 5,000 hosts, 36 days of daily full scans, usage
# evidence, log coverage and heartbeats) written into ClickHouse through the
# collector's insert path, its maintained tables compacted before the last
# day as the analysing collector does daily (--compact-every), then three `nhictl analyze` runs (the first of
# the history, one 15 minutes later, one a day later) timed step by step,
# each detector against its question asked as plain SQL over the raw events
# in the same run, with the analysing process's peak memory. Prints a
# Markdown section for BENCHMARKS.md (the Go driver is
# packaging/bench/analyticsbench).
#   NHI_BENCH_ANALYTICS_EVENTS / _HOSTS / _IDENTITIES   size of the fleet
#   NHI_BENCH_ANALYTICS_DB=name   measure an already loaded database, keep it
set -euo pipefail
cd "$(dirname "$0")/../.."
EVENTS=${NHI_BENCH_ANALYTICS_EVENTS:-10000000}
HOSTS=${NHI_BENCH_ANALYTICS_HOSTS:-5000}
IDS=${NHI_BENCH_ANALYTICS_IDENTITIES:-200000}
CH=${NHI_CLICKHOUSE_ADDR:-127.0.0.1:19000}
CH_HOST=${CH%:*} CH_PORT=${CH#*:}
DB=${NHI_BENCH_ANALYTICS_DB:-}
NOW=$(date -u +%Y-%m-%dT%H:00:00Z)
TMP=$(mktemp -d)
cleanup() {
  [[ -n "${NHI_BENCH_ANALYTICS_DB:-}" ]] || clickhouse-client --host "$CH_HOST" --port "$CH_PORT" -q "DROP DATABASE IF EXISTS ${DB}" || true
  rm -rf "$TMP"
}
trap cleanup EXIT

CGO_ENABLED=0 go build -trimpath -o "$TMP/" ./packaging/bench/analyticsbench ./cmd/nhictl
if [[ -z "${NHI_BENCH_ANALYTICS_DB:-}" ]]; then
  DB=nhi_bench_analytics_$(date +%s)_$$
  echo "loading $EVENTS events, $IDS identities, $HOSTS hosts into $DB" >&2
  start=$(date +%s)
  "$TMP/analyticsbench" -clickhouse "$CH" -database "$DB" -load -events "$EVENTS" -hosts "$HOSTS" -identities "$IDS" -now "$NOW" 2> "$TMP/load.log" ||
    { cat "$TMP/load.log" >&2; exit 1; }
  echo "loaded in $(( $(date +%s) - start )) s" >&2
else
  NOW=$(clickhouse-client --host "$CH_HOST" --port "$CH_PORT" -q "SELECT formatDateTime(max(time) + 3600, '%Y-%m-%dT%H:%M:%SZ') FROM ${DB}.events")
fi
rows=$(clickhouse-client --host "$CH_HOST" --port "$CH_PORT" -q "SELECT count() FROM ${DB}.events")
ids=$(clickhouse-client --host "$CH_HOST" --port "$CH_PORT" -q "SELECT count() FROM ${DB}.nhi_inventory")
printf '\n## Governance analysis (%s UTC, %s cores, load %s)\n\n' "$(date -u '+%Y-%m-%d %H:%M')" "$(nproc)" "$(cut -d' ' -f1-3 /proc/loadavg)"
printf '%s events, %s identities in the inventory, %s hosts; policy `packaging/bench/analyticsbench/policy.yaml`; analysis clock %s.\n\n' "$rows" "$ids" "$HOSTS" "$NOW"
"$TMP/analyticsbench" -clickhouse "$CH" -database "$DB" -now "$NOW" -measure "$TMP/nhictl" -policy packaging/bench/analyticsbench/policy.yaml
