#!/usr/bin/env bash
# Parsers linear in their input: 100,000 authorized keys and 1,000,000 auth
# log lines through `nhi-agent scan` (plugins out of process), each against
# a reference reading the same file in the same run: ssh-keygen -l (parses
# and fingerprints every key) and awk counting logins per user (splits
# every log line into fields).
set -euo pipefail
cd "$(dirname "$0")/../.."
bin=${BIN:-bin}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
root=$work/root
mkdir -p "$root/etc" "$root/home/alice/.ssh" "$root/var/log"
printf 'root:x:0:0:root:/root:/bin/bash\nalice:x:1000:1000::/home/alice:/bin/bash\ndeploy:x:998:998::/srv:/usr/sbin/nologin\n' > "$root/etc/passwd"

ssh-keygen -q -t ed25519 -N '' -f "$work/k" >/dev/null
key=$(cat "$work/k.pub")
python3 - "$root/home/alice/.ssh/authorized_keys" "$key" <<'PY'
import sys
path, key = sys.argv[1], sys.argv[2]
with open(path, "w") as f:
    for i in range(100_000):
        f.write(f'from="10.{i//65536%256}.{i//256%256}.{i%256}" {key.rsplit(" ", 1)[0]} user{i}@example\n')
PY
python3 - "$root/var/log/auth.log" <<'PY'
import sys
with open(sys.argv[1], "w") as f:
    for i in range(1_000_000):
        f.write(f"Dec  1 10:{i//60%60:02d}:{i%60:02d} host sshd[{1000+i%30000}]: Accepted publickey for deploy from 10.0.{i//256%256}.{i%256} port {1024+i%60000} ssh2: ED25519 SHA256:abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG\n")
PY

secs() { local s e; s=$(date +%s.%N); "$@" >/dev/null 2>&1; e=$(date +%s.%N); echo "$e - $s" | bc; }
export NHI_FINGERPRINT_KEY=bench-hostile-key-0001
ref_keys=$(secs ssh-keygen -l -f "$root/home/alice/.ssh/authorized_keys")
ours_keys=$(secs "$bin/nhi-agent" scan --root "$root" --output jsonl --plugins sshkeys)
ref_log=$(secs awk '/Accepted publickey/ {n[$9]++} END {for (u in n) print u, n[u]}' "$root/var/log/auth.log")
ours_log=$(secs "$bin/nhi-agent" scan --root "$root" --output jsonl --plugins authlog)
entries=$("$bin/nhi-agent" scan --root "$root" --output jsonl --plugins sshkeys 2>/dev/null | grep -c '"ssh_authorized_key"')

printf '\n## Hostile-size input (%s, load %s)\n\n' "$(date -u +'%Y-%m-%d %H:%M UTC')" "$(cut -d' ' -f1 /proc/loadavg)"
printf '| input | nhi-agent scan | reference | ratio |\n|---|---|---|---|\n'
printf '| 100,000 authorized keys (%s reported) | %.2f s | ssh-keygen -l %.2f s | %.2f |\n' "$entries" "$ours_keys" "$ref_keys" "$(echo "$ours_keys / $ref_keys" | bc -l)"
printf '| 1,000,000 auth log lines | %.2f s | awk, logins per user %.2f s | %.2f |\n' "$ours_log" "$ref_log" "$(echo "$ours_log / $ref_log" | bc -l)"
