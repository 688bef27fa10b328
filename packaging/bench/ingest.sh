#!/usr/bin/env bash
# Ingest: N realistic events (default 2,000,000; NHI_BENCH_EVENTS=200000 for a
# quick run) through Kafka and nhi-collector into ClickHouse, timed until
# every row is queryable, against clickhouse-client inserting the very same
# rows from a TabSeparated file into the same schema, in the same run. Then
# the de-duplicating read forms (FINAL against GROUP BY / argMax) on the
# stored events. Prints a Markdown section for BENCHMARKS.md.
set -euo pipefail
cd "$(dirname "$0")/../.."
N=${NHI_BENCH_EVENTS:-2000000}
BROKER=${NHI_KAFKA_BROKERS:-127.0.0.1:19092}
CH=${NHI_CLICKHOUSE_ADDR:-127.0.0.1:19000}
CH_HOST=${CH%:*} CH_PORT=${CH#*:}
RUN=nhi_bench_$(date +%s)_$$
TMP=$(mktemp -d)
COLLECTOR_PID=
cleanup() {
  [[ -n $COLLECTOR_PID ]] && kill "$COLLECTOR_PID" 2>/dev/null || true
  clickhouse-client --host "$CH_HOST" --port "$CH_PORT" -q "DROP DATABASE IF EXISTS ${RUN}" || true
  clickhouse-client --host "$CH_HOST" --port "$CH_PORT" -q "DROP DATABASE IF EXISTS ${RUN}_ref" || true
  [[ -x "$TMP/ingestgen" ]] && "$TMP/ingestgen" -brokers "$BROKER" -topic "$RUN" -delete || true
  [[ -n ${NHI_BENCH_KEEP_LOG:-} ]] && cp "$TMP/collector.log" "$NHI_BENCH_KEEP_LOG"
  rm -rf "$TMP"
}
trap cleanup EXIT
chq() { clickhouse-client --host "$CH_HOST" --port "$CH_PORT" "$@"; }
now() { date +%s.%N; }

go build -o "$TMP/" ./cmd/nhi-collector ./packaging/bench/ingestgen
export NHI_KAFKA_BROKERS=$BROKER NHI_CLICKHOUSE_ADDR=$CH NHI_KAFKA_TOPIC=$RUN

echo "generating and producing $N events to topic $RUN" >&2
"$TMP/ingestgen" -brokers "$BROKER" -topic "$RUN" -n "$N" -tsv "$TMP/rows.tsv"
ROW_BYTES=$(( $(stat -c %s "$TMP/rows.tsv") / N ))

# Reference: clickhouse-client, same schema (materialized views included).
# It runs before and after the collector (into fresh databases) and the
# mean is the reference: the machines are shared, and the load changes.
"$TMP/nhi-collector" migrate --database "$RUN" 2>/dev/null
COLS=$("$TMP/ingestgen" -columns)
reference() {
  chq -q "DROP DATABASE IF EXISTS ${RUN}_ref"
  "$TMP/nhi-collector" migrate --database "${RUN}_ref" 2>/dev/null
  local t0 t1
  t0=$(now)
  chq -q "INSERT INTO ${RUN}_ref.events ($COLS) FORMAT TabSeparated" < "$TMP/rows.tsv"
  t1=$(now)
  echo "$t1 - $t0" | bc -l
}
REF1_S=$(reference)

# Collector: start, and time until every row is queryable.
t0=$(now)
"$TMP/nhi-collector" run --database "$RUN" --group "$RUN" --listen "" --batch-rows "${NHI_BENCH_BATCH_ROWS:-100000}" ${NHI_BENCH_COLLECTOR_FLAGS:-} 2>"$TMP/collector.log" &
COLLECTOR_PID=$!
while :; do
  n=$(chq -q "SELECT count() FROM ${RUN}.events")
  [[ $n -ge $N ]] && break
  kill -0 "$COLLECTOR_PID" 2>/dev/null || { cat "$TMP/collector.log" >&2; exit 1; }
  sleep 0.5
done
t1=$(now)
COL_S=$(echo "$t1 - $t0" | bc -l)
read -r utime stime < <(awk '{print $14, $15}' "/proc/$COLLECTOR_PID/stat")
TICKS=$(getconf CLK_TCK)
CPU_S=$(echo "($utime + $stime) / $TICKS" | bc -l)
RSS_MB=$(awk '/VmHWM/ {printf "%.0f", $2/1024}' "/proc/$COLLECTOR_PID/status")
kill -TERM "$COLLECTOR_PID"; wait "$COLLECTOR_PID" || true; COLLECTOR_PID=
DISTINCT=$(chq -q "SELECT uniqExact(event_id) FROM ${RUN}.events")
REF2_S=$(reference)
REF_S=$(echo "($REF1_S + $REF2_S) / 2" | bc -l)

# De-duplicating reads over the stored events: best of three runs each.
best() {
  local best=999999 t
  for _ in 1 2 3; do
    t0=$(now); chq -q "$1" >/dev/null; t1=$(now)
    t=$(echo "$t1 - $t0" | bc -l)
    best=$(echo "if ($t < $best) $t else $best" | bc -l)
  done
  printf '%.3f' "$best"
}
DB=$RUN
Q_FINAL="SELECT count() FROM $DB.events FINAL"
Q_GROUP="SELECT count() FROM (SELECT event_id FROM $DB.events GROUP BY event_id)"
Q_UNIQ="SELECT uniqExact(event_id) FROM $DB.events"
Q_INV_STATE="SELECT count(), sum(h) FROM (SELECT nhi_id, length(groupUniqArrayMerge(hosts)) AS h, maxMerge(last_seen) FROM $DB.identity_state GROUP BY nhi_id)"
Q_INV_VIEW="SELECT count(), sum(length(hosts)), sum(still_present) FROM $DB.nhi_inventory"
Q_INV_FINAL="SELECT count(), sum(h) FROM (SELECT nhi_id, length(groupUniqArray(host)) AS h, max(time) FROM $DB.events FINAL WHERE type = 'nhi_observed' GROUP BY nhi_id)"
Q_INV_ARGMAX="SELECT count(), sum(h) FROM (SELECT nhi_id, length(groupUniqArray(host)) AS h, max(time) FROM (SELECT event_id, argMax(nhi_id, ingested_at) AS nhi_id, argMax(host, ingested_at) AS host, argMax(time, ingested_at) AS time FROM $DB.events WHERE type = 'nhi_observed' GROUP BY event_id) GROUP BY nhi_id)"

rate() { printf '%.0f' "$(echo "$N / $1" | bc -l)"; }
REF_RATE=$(rate "$REF_S"); COL_RATE=$(rate "$COL_S")
RATIO=$(printf '%.0f' "$(echo "100 * $COL_RATE / $REF_RATE" | bc -l)")
CPU_PCT=$(printf '%.0f' "$(echo "100 * $CPU_S / $COL_S" | bc -l)")
cat <<MD
## Collector

\`NHI_BENCH_EVENTS=$N make bench\` (or \`bash packaging/bench/ingest.sh\`), $(date -u +%Y-%m-%d), $(nproc) cores,
ClickHouse $(chq -q "SELECT version()"), Kafka on the same machine; $N events, ${ROW_BYTES}-byte TSV rows.

| path | time | events/s | |
|---|---|---|---|
| \`clickhouse-client\` INSERT from a TSV file (reference; mean of a run before and after: $(printf '%.1f' "$REF1_S") s, $(printf '%.1f' "$REF2_S") s) | $(printf '%.1f' "$REF_S") s | $REF_RATE | 100% |
| Kafka → nhi-collector → ClickHouse, until all rows are queryable | $(printf '%.1f' "$COL_S") s | $COL_RATE | **$RATIO%** |

Load average during the run: $(cut -d' ' -f1-3 /proc/loadavg). Collector (\`--batch-rows ${NHI_BENCH_BATCH_ROWS:-100000}\`): $(printf '%.1f' "$CPU_S") s CPU (${CPU_PCT}% of one core over the run), peak RSS ${RSS_MB} MB; $DISTINCT distinct events stored of $N.

De-duplicating reads over the $N stored events (best of 3):

| query | seconds |
|---|---|
| \`count() FROM events FINAL\` | $(best "$Q_FINAL") |
| \`count()\` of \`GROUP BY event_id\` | $(best "$Q_GROUP") |
| \`uniqExact(event_id)\` | $(best "$Q_UNIQ") |
| identities (hosts, last seen) from \`identity_state\` (aggregate states) | $(best "$Q_INV_STATE") |
| the same from \`events FINAL\` | $(best "$Q_INV_FINAL") |
| the same from \`argMax … GROUP BY event_id\` | $(best "$Q_INV_ARGMAX") |
| the whole \`nhi_inventory\` view (with presence and usage joins) | $(best "$Q_INV_VIEW") |
MD
