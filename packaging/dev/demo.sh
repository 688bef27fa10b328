#!/usr/bin/env bash
# The main job end to end on the local services: an agent scans a planted
# host tree and publishes to Kafka, the collector stores the events in
# ClickHouse, nhictl prints the inventory. Run through `make demo`.
set -euo pipefail
cd "$(dirname "$0")/../.."

ROOT="${NHI_DEMO_ROOT:-plugins/builtin/planted/testdata/host}"
export NHI_KAFKA_BROKERS="${NHI_KAFKA_BROKERS:-127.0.0.1:${NHI_KAFKA_PORT:-19092}}"
export NHI_CLICKHOUSE_ADDR="${NHI_CLICKHOUSE_ADDR:-127.0.0.1:${NHI_CLICKHOUSE_PORT:-19000}}"
export NHI_CLICKHOUSE_DATABASE="${NHI_CLICKHOUSE_DATABASE:-nhi_demo}"
export NHI_KAFKA_TOPIC="${NHI_KAFKA_TOPIC:-nhi.demo}"
export NHI_FINGERPRINT_KEY="${NHI_FINGERPRINT_KEY:-demo-organisation-key-do-not-use}"
CH_HOST="${NHI_CLICKHOUSE_ADDR%%:*}" CH_PORT="${NHI_CLICKHOUSE_ADDR##*:}"
ch() { clickhouse-client --host "$CH_HOST" --port "$CH_PORT" "$@"; }

step() { printf '\n== %s\n' "$*"; }

step "fresh demo database $NHI_CLICKHOUSE_DATABASE"
ch -q "DROP DATABASE IF EXISTS $NHI_CLICKHOUSE_DATABASE"

step "collector: Kafka topic $NHI_KAFKA_TOPIC -> ClickHouse"
LOG=$(mktemp)
bin/nhi-collector run --batch-wait 300ms >"$LOG" 2>&1 &
COLLECTOR=$!
trap 'kill $COLLECTOR 2>/dev/null; wait $COLLECTOR 2>/dev/null; rm -f "$LOG"' EXIT
for _ in $(seq 1 100); do grep -q "collector running" "$LOG" && break; sleep 0.2; done
grep -q "collector running" "$LOG" || { cat "$LOG"; echo "collector did not start" >&2; exit 1; }

step "agent: one-shot scan of $ROOT, published to Kafka"
bin/nhi-agent scan --root "$ROOT" --output kafka

step "waiting for the events to be stored"
EXPECTED=$(bin/nhi-agent scan --root "$ROOT" --output jsonl 2>/dev/null | wc -l)
for _ in $(seq 1 150); do
  N=$(ch -q "SELECT count() FROM $NHI_CLICKHOUSE_DATABASE.events" 2>/dev/null || echo 0)
  [[ "$N" -ge "$EXPECTED" ]] && break; sleep 0.2
done
echo "$N events stored (the scan produced $EXPECTED)"
[[ "$N" -ge "$EXPECTED" ]] || { cat "$LOG"; exit 1; }

step "nhictl inventory"
bin/nhictl inventory

step "the same, straight from ClickHouse"
ch -q "SELECT kind, principal, length(locations) AS places, hosts FROM $NHI_CLICKHOUSE_DATABASE.nhi_inventory ORDER BY kind, principal FORMAT PrettyCompact"

step "explore further (same database and settings as the demo)"
cat <<HINT
  NHI_CLICKHOUSE_DATABASE=$NHI_CLICKHOUSE_DATABASE bin/nhictl inventory
  NHI_CLICKHOUSE_DATABASE=$NHI_CLICKHOUSE_DATABASE bin/nhictl query
  clickhouse-client --host $CH_HOST --port $CH_PORT -q "SELECT kind, count() FROM $NHI_CLICKHOUSE_DATABASE.nhi_inventory GROUP BY kind"
HINT
