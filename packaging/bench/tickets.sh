#!/usr/bin/env bash
# Ticketing: N findings' tickets (default 10,000; NHI_BENCH_TICKETS=2000 for
# a quicker run) opened by ticketsync through its durable outbox in the
# ServiceNow contract server behind a rate limit of 100 requests/s (429
# with Retry-After beyond), the store on ClickHouse: time until every
# request has exactly one ticket, against the lower bound the rate sets in
# the same run; duplicates; peak memory and the outbox's size. Prints a
# Markdown section for BENCHMARKS.md (the Go driver is
# packaging/bench/ticketsgen).
set -euo pipefail
cd "$(dirname "$0")/../.."
N=${NHI_BENCH_TICKETS:-10000}
RATE=${NHI_BENCH_TICKET_RATE:-100}
CH=${NHI_CLICKHOUSE_ADDR:-127.0.0.1:19000}
CH_HOST=${CH%:*} CH_PORT=${CH#*:}
RUN=nhi_bench_tickets_$(date +%s)_$$
TMP=$(mktemp -d)
cleanup() {
  clickhouse-client --host "$CH_HOST" --port "$CH_PORT" -q "DROP DATABASE IF EXISTS ${RUN}" || true
  rm -rf "$TMP"
}
trap cleanup EXIT

go build -o "$TMP/" ./packaging/bench/ticketsgen
echo "opening $N tickets at $RATE requests/s (database $RUN)" >&2
"$TMP/ticketsgen" -n "$N" -rate "$RATE" -clickhouse "$CH" -database "$RUN" -dir "$TMP"
