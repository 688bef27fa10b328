#!/usr/bin/env bash
# Content scanning: NHI Radar's content plugin against `gitleaks dir` on the
# same tree in the same run. The tree is a copy of Go module sources nobody
# here wrote (from the module cache). Reports MB/s (tree bytes / wall time),
# the throughput ratio, CPU seconds, peak RSS and how many of gitleaks'
# findings we also report; then the limit: a plain read of exactly the files
# our scan reads (same walker, skips, chunks and workers, no matching), with
# MB/s on the bytes actually read and the share of it the scan reaches; then
# both tools on the planted host tree.
#
#   BENCH_TREE_MB     size of the tree to build (default 440)
#   GITLEAKS_VERSION  reference version (default v8.30.1, installed from the Go proxy)
#   BENCH_TRUFFLEHOG  1 to also run TruffleHog if `trufflehog` is on PATH
set -euo pipefail
cd "$(dirname "$0")/../.."
repo=$PWD
tree_mb=${BENCH_TREE_MB:-440}
gl_version=${GITLEAKS_VERSION:-v8.30.1}
cache=${XDG_CACHE_HOME:-$HOME/.cache}/nhiradar/bench
work=$(mktemp -d)
trap 'chmod -R u+w "$work" 2>/dev/null; rm -rf "$work"' EXIT
mkdir -p "$cache/bin"

gitleaks=$cache/bin/gitleaks-$gl_version
if [[ ! -x $gitleaks ]]; then
  GOBIN=$work/gobin GOFLAGS=-mod=mod go install "github.com/zricethezav/gitleaks/v8@$gl_version" >&2
  mv "$work/gobin/gitleaks" "$gitleaks"
fi
go build -o "$work/contentbench" ./plugins/builtin/content/cmd/bench

# The tree: module directories from the module cache until tree_mb is reached.
modcache=$(go env GOMODCACHE)
tree=$work/tree
mkdir -p "$tree"
total=0
while IFS= read -r dir; do
  rel=${dir#"$modcache"/}
  mkdir -p "$tree/$(dirname "$rel")"
  cp -r "$dir" "$tree/$rel"
  total=$(( total + $(du -sb "$dir" | cut -f1) ))
  (( total >= tree_mb * 1000000 )) && break
done < <(find "$modcache" -mindepth 1 -maxdepth 4 -type d -name '*@v*' -not -path "$modcache/cache/*" | sort)
chmod -R u+w "$tree"
bytes=$(find "$tree" -type f -printf '%s\n' | awk '{s+=$1} END {print s}')
files=$(find "$tree" -type f | wc -l)

# timed CMD...: runs CMD under /usr/bin/time -v; sets wall, cpu, rss_mb.
timed() {
  /usr/bin/time -v -o "$work/time" "$@" >"$work/out" 2>"$work/err" || true
  wall=$(awk -F': ' '/Elapsed \(wall clock\)/ {n=split($2,a,":"); s=0; for(i=1;i<=n;i++) s=s*60+a[i]; print s}' "$work/time")
  cpu=$(awk -F': ' '/User time/ {u=$2} /System time/ {s=$2} END {printf "%.2f", u+s}' "$work/time")
  rss_mb=$(awk -F': ' '/Maximum resident/ {printf "%.1f", $2/1024}' "$work/time")
}
mbps() { awk -v b="$bytes" -v t="$1" 'BEGIN {printf "%.1f", b/1e6/t}'; }
# field NAME JSON: a number from the bench's one-line JSON summary.
field() { sed -n "s/.*\"$1\":\([0-9.e+-]*\).*/\1/p" <<<"$2"; }

timed "$gitleaks" dir "$tree" --no-banner --log-level error --report-format json --report-path "$work/gitleaks.json"
gl_wall=$wall gl_cpu=$cpu gl_rss=$rss_mb
timed "$work/contentbench" -root "$tree" -paths / -findings "$work/ours.jsonl"
our_wall=$wall our_cpu=$cpu our_rss=$rss_mb our_summary=$(cat "$work/out")
# The same files read with nothing matched, right after the scan (the tree as warm in the page cache).
timed "$work/contentbench" -root "$tree" -paths / -read-only
read_wall=$wall read_cpu=$cpu read_rss=$rss_mb read_summary=$(cat "$work/out")
timed "$work/contentbench" -root "$tree" -paths / -keep-decoys -findings "$work/ours-raw.jsonl"
overlap=$("$work/contentbench" -root "$tree" -compare-gitleaks "$work/gitleaks.json" -findings "$work/ours-raw.jsonl")
overlap_filtered=$("$work/contentbench" -root "$tree" -compare-gitleaks "$work/gitleaks.json" -findings "$work/ours.jsonl")

echo "## Scanning ($(date -u +%Y-%m-%d), $(nproc) cores, load $(cut -d' ' -f1 /proc/loadavg))"
echo
echo "Tree: $files files, $(awk -v b="$bytes" 'BEGIN {printf "%.0f", b/1e6}') MB of Go module sources; MB/s = tree bytes / wall time."
echo
echo "| scanner | wall s | MB/s | CPU s | peak RSS MB |"
echo "|---|---|---|---|---|"
echo "| gitleaks $gl_version \`dir\` | $gl_wall | $(mbps "$gl_wall") | $gl_cpu | $gl_rss |"
echo "| nhi content plugin | $our_wall | $(mbps "$our_wall") | $our_cpu | $our_rss |"
echo "| plain read of the same files (\`-read-only\`, no matching) | $read_wall | $(mbps "$read_wall") | $read_cpu | $read_rss |"
if [[ ${BENCH_TRUFFLEHOG:-0} == 1 ]] && command -v trufflehog >/dev/null; then
  timed trufflehog filesystem --no-verification --json "$tree"
  echo "| trufflehog filesystem --no-verification | $wall | $(mbps "$wall") | $cpu | $rss_mb |"
fi
echo
echo "Throughput ratio (ours / gitleaks): $(awk -v a="$gl_wall" -v b="$our_wall" 'BEGIN {printf "%.1fx", a/b}')"
echo
echo "- ours: \`$our_summary\`"
echo "- plain read: \`$read_summary\`"
read_bytes=$(field bytes "$our_summary")
scan_rate=$(field mb_per_s "$our_summary") plain_rate=$(field mb_per_s "$read_summary")
echo "- on bytes actually read ($(awk -v b="$read_bytes" 'BEGIN {printf "%.0f", b/1e6}') MB of text of the tree's $(awk -v b="$bytes" 'BEGIN {printf "%.0f", b/1e6}') MB; in-process time, without start-up): scan $(printf '%.1f' "$scan_rate") MB/s, plain read $(printf '%.1f' "$plain_rate") MB/s; **the scan reaches $(awk -v a="$scan_rate" -v b="$plain_rate" 'BEGIN {printf "%.0f%%", 100*a/b}') of the plain read**"
echo "- gitleaks' findings we also report, decoy filter off (same path, line, rule): \`$overlap\`"
echo "- the same with the decoy filter on (test fixtures, examples, placeholders dropped): \`$overlap_filtered\`"

# The planted host tree: expected findings, what each tool reports.
planted=plugins/builtin/planted/testdata/host
if [[ -d $planted ]]; then
  "$gitleaks" dir "$planted" --no-banner --log-level error --report-format json --report-path "$work/gl-planted.json" >/dev/null 2>&1 || true
  echo
  echo "### Planted host tree"
  echo
  "$work/contentbench" -planted "$planted" -compare-gitleaks "$work/gl-planted.json"
fi
