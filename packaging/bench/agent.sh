#!/usr/bin/env bash
# Agent footprint, measured on the real broker with real plugin processes:
#   1. resident memory of the idle agent (before its first scan, and after),
#   2. peak resident memory of the agent and of the credfiles plugin process
#      during a full scan of a generated host tree, and the CPU seconds the
#      scan cost them, against the one-shot `nhi-agent scan --plugins
#      credfiles` of the same tree, no spool and no Kafka (the reference,
#      same run; CPU of agent + plugin, peak RSS of the larger process),
#   3. the CPU budget (5% of one core over a minute) against a plugin that
#      would burn a whole core: CPU used by agent + plugin per minute.
# Environment: BENCH_AGENT_USERS (homes in the tree, default 3000),
# BENCH_AGENT_WINDOWS (one-minute windows for 3, default 2).
set -euo pipefail
cd "$(dirname "$0")/../.."
BROKER=${NHI_KAFKA_BROKERS:-127.0.0.1:19092}
USERS=${BENCH_AGENT_USERS:-3000}
WINDOWS=${BENCH_AGENT_WINDOWS:-2}
COMPRESSION=${BENCH_AGENT_COMPRESSION:-}
KAFKA_LINE=""
[[ -n "$COMPRESSION" ]] && KAFKA_LINE="kafka: {compression: $COMPRESSION}"
TCK=$(getconf CLK_TCK)
work=$(mktemp -d)
agent_pid=""
cleanup() { [[ -n "$agent_pid" ]] && kill "$agent_pid" 2>/dev/null && wait "$agent_pid" 2>/dev/null; rm -rf "$work"; }
trap cleanup EXIT

# Built as `make build` builds them (static, stripped): what hosts run.
release() { CGO_ENABLED=0 go build -trimpath -ldflags '-s -w' "$@"; }
release -o "$work/bin/" ./cmd/nhi-agent ./cmd/nhi-plugin-credfiles
release -o "$work/bin/testplugin" ./agent/pluginhost/testplugin
export NHI_FINGERPRINT_KEY=bench-organisation-key-0001

# A host tree: USERS accounts in /etc/passwd, each with ~/.aws/credentials
# holding two keys, plus a decoy profile.
python3 - "$work/host" "$USERS" <<'PY'
import os, random, sys
root, n = sys.argv[1], int(sys.argv[2])
rnd = random.Random(42)
b32 = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"
alnum = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"
os.makedirs(f"{root}/etc")
with open(f"{root}/etc/passwd", "w") as pw:
    pw.write("root:x:0:0:root:/root:/bin/bash\n")
    for i in range(n):
        u = f"user{i:05d}"
        pw.write(f"{u}:x:{2000+i}:{2000+i}:{u}:/home/{u}:/bin/bash\n")
        os.makedirs(f"{root}/home/{u}/.aws")
        with open(f"{root}/home/{u}/.aws/credentials", "w") as f:
            for prof in ("default", "prod"):
                kid = "AKIA" + "".join(rnd.choice(b32) for _ in range(16))
                sec = "".join(rnd.choice(alnum) for _ in range(40))
                f.write(f"[{prof}]\naws_access_key_id = {kid}\naws_secret_access_key = {sec}\nregion = eu-west-1\n\n")
            f.write("[example]\naws_access_key_id = AKIAIOSFODNN7EXAMPLE\naws_secret_access_key = wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY\n")
with open(f"{root}/etc/hostname", "w") as f:
    f.write("bench-host\n")
PY

status_kb() { awk -v k="$2:" '$1==k{print $2}' "/proc/$1/status"; }
cpu_s() { awk -v t="$TCK" '{sub(/.*\) /,""); printf "%.2f", ($12+$13)/t}' "/proc/$1/stat"; }
mb() { awk -v k="$1" 'BEGIN{printf "%.1f", k/1024}'; }
plugin_of() { pgrep -P "$1" | head -1; }
sum_cpu() { local s=0 p; for p in "$@"; do s=$(awk -v a="$s" -v b="$(cpu_s "$p")" 'BEGIN{print a+b}'); done; echo "$s"; }

config() { # name topic plugin-block limits
  cat >"$work/$1.yaml" <<YAML
brokers: [$BROKER]
topic: $2
state_dir: $work/state-$1
root: $work/host
heartbeat_interval: 1m
limits: {$4}
$KAFKA_LINE
plugins:
$3
YAML
}

start_agent() { "$work/bin/nhi-agent" run --config "$work/$1.yaml" >"$work/$1.log" 2>&1 & agent_pid=$!; }
stop_agent() { kill "$agent_pid"; wait "$agent_pid" || true; agent_pid=""; }
wait_log() { for _ in $(seq 1 600); do grep -q "$2" "$work/$1.log" && return 0; sleep 0.2; done; cat "$work/$1.log" >&2; exit 1; }

# 1: the agent alone, idle (no plugin configured), after 20 s.
config idle "bench_agent_$RANDOM$RANDOM" "  []" "cpu_percent: 5"
start_agent idle
sleep 20
idle_alone=$(status_kb "$agent_pid" VmRSS)
idle_cpu=$(cpu_s "$agent_pid")
stop_agent

# 2: a full scan with the plugin process kept (keep_running) so that its
# peak and CPU can be read; then the default, where the plugin process ends
# after its scan, for the agent's idle memory after a scan.
credfiles="{name: credfiles, path: $work/bin/nhi-plugin-credfiles, sha256: $(sha256sum "$work/bin/nhi-plugin-credfiles" | cut -d' ' -f1), interval: 1h, jitter: 0.002"
config scan "bench_agent_$RANDOM$RANDOM" "  - $credfiles, keep_running: true}" "cpu_percent: 100"
start_agent scan
wait_log scan "plugin=credfiles full=true events="
plugin=$(plugin_of "$agent_pid")
agent_hwm=$(status_kb "$agent_pid" VmHWM); plugin_hwm=$(status_kb "$plugin" VmHWM)
agent_cpu=$(cpu_s "$agent_pid"); plugin_cpu=$(cpu_s "$plugin")
events=$(grep -o 'full=true events=[0-9]*' "$work/scan.log" | head -1 | cut -d= -f3)
sleep 15
idle_kept=$(status_kb "$agent_pid" VmRSS); plugin_idle=$(status_kb "$plugin" VmRSS)
stop_agent

config scan2 "bench_agent_$RANDOM$RANDOM" "  - $credfiles}" "cpu_percent: 100"
start_agent scan2
wait_log scan2 "plugin=credfiles full=true events="
sleep 15
idle_after=$(status_kb "$agent_pid" VmRSS)
left=$( (pgrep -P "$agent_pid" || true) | wc -l)
stop_agent

/usr/bin/time -o "$work/ref.time" -f '%U %S %M' "$work/bin/nhi-agent" scan --plugins credfiles --root "$work/host" --output jsonl >/dev/null 2>&1
ref=$(tail -1 "$work/ref.time")
ref_cpu=$(awk '{printf "%.2f", $1+$2}' <<<"$ref"); ref_rss=$(awk '{print $3}' <<<"$ref")

# 3: the CPU budget against a plugin that burns a core.
config budget "bench_agent_$RANDOM$RANDOM" "  - {name: burner, path: $work/bin/testplugin, sha256: $(sha256sum "$work/bin/testplugin" | cut -d' ' -f1), interval: 10m, jitter: 0.001, timeout: 1h, options: {mode: burn}}" "cpu_percent: 5, cpu_window: 1m"
NHI_LOG_LEVEL=debug start_agent budget # every pause logged
t0=$(date +%s.%N)
wait_log budget "budget exhausted"
burner=$(plugin_of "$agent_pid")
windows=""
prev=0
for w in $(seq 1 "$WINDOWS"); do
  sleep $(awk -v t0="$t0" -v w="$w" -v now="$(date +%s.%N)" 'BEGIN{print t0+60*w-now}')
  total=$(sum_cpu "$agent_pid" "$burner")
  used=$(awk -v a="$total" -v b="$prev" 'BEGIN{printf "%.2f", a-b}')
  windows+="| minute $w | ${used} s | $(awk -v u="$used" 'BEGIN{printf "%.1f%%", u/60*100}') |"$'\n'
  prev=$total
done
pauses=$(grep -c "budget exhausted" "$work/budget.log" || true)
stop_agent

cat <<MD
## Agent

Tree: $USERS homes, $events identities; broker $BROKER; $(nproc) cores; compression ${COMPRESSION:-default}.

| What | Agent | Plugin process | Reference: one-shot \`nhi-agent scan --plugins credfiles\` |
|---|---|---|---|
| RSS idle, no plugin configured (20 s after start; CPU $idle_cpu s) | $(mb "$idle_alone") MB | – | |
| RSS peak during a full scan | $(mb "$agent_hwm") MB | $(mb "$plugin_hwm") MB | $(mb "$ref_rss") MB |
| RSS idle, 15 s after the scan, plugin kept running | $(mb "$idle_kept") MB | $(mb "$plugin_idle") MB | |
| RSS idle, 15 s after the scan, default (plugin ended; $left plugin processes left) | $(mb "$idle_after") MB | – | |
| CPU seconds, start + full scan + spool + publish | $agent_cpu s | $plugin_cpu s | $ref_cpu s |

CPU budget 5% of one core per minute (3.0 s), plugin that would burn a core; CPU of agent + plugin
per minute since the agent started ($pauses pauses logged):

| Window | CPU used | Share of one core |
|---|---|---|
$windows
MD

# Kafka compression of one 500-event batch of real events (credfiles on the
# e2e fixture), each codec kafka-go offers: ratio raw/compressed and speed.
echo
echo "Kafka compression, one batch of 500 real events (\`go test -bench Compression ./agent/publish/\`):"
echo
echo '```'
go test -run '^$' -bench Compression -benchtime 200x ./agent/publish/ | grep '^Benchmark'
echo '```'
