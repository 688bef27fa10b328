#!/usr/bin/env bash
# Development services for NHI Radar: a single-node Apache Kafka (KRaft) broker
# and a ClickHouse server, installed and started without Docker; on request
# (up-rt) a Request Tracker 5 for the rt ticket connector's tests.
#
#   packaging/dev/services.sh up|down|status|env   (and per service: up-kafka, status-clickhouse, …)
#   packaging/dev/services.sh up-rt|down-rt|status-rt|env-rt
#   packaging/dev/services.sh install-chromium   (Debian's chromium for the report's tests; prints its path)
#   packaging/dev/services.sh install-package-tools   (rpm and systemd-analyze for the packages' tests)
#
# Idempotent: a second `up` is a no-op, `down` stops only what `up` started
# (pid files). Everything is configurable through the environment:
#
#   NHI_SERVICES_HOME   state, data and logs    (default ~/.cache/nhiradar)
#   NHI_SERVICES_CACHE  downloaded Kafka jars and built probes (default NHI_SERVICES_HOME);
#                       tests that run private instances share it with the main ones
#   NHI_KAFKA_PORT      broker listener          (default 19092)
#   NHI_KAFKA_CONTROLLER_PORT                    (default 19093)
#   NHI_KAFKA_HEAP      broker heap              (default 384m)
#   NHI_KAFKA_EXTRA_CONFIG  file appended to the broker's server.properties (a later key
#                       wins): extra listeners, TLS, SASL, as tests of secured brokers need
#   NHI_KAFKA_FORMAT_ARGS   extra arguments for formatting the storage, one per line
#                       (e.g. --add-scram and its SCRAM credential)
#   NHI_CLICKHOUSE_PORT native protocol port     (default 19000)
#   NHI_CLICKHOUSE_HTTP_PORT                     (default 18123)
#   NHI_CLICKHOUSE_INTERSERVER_PORT  replication between servers (default: none, a lone server)
#   NHI_CLICKHOUSE_EXTRA_CONFIG  XML file placed in the server's config.d (zookeeper,
#                       remote_servers, macros: what a node of a test cluster needs)
#   NHI_ZOOKEEPER_PORT  ZooKeeper for ClickHouse clusters, started only by up-zookeeper
#                       (default 12181)
#   NHI_RT_PORT         Request Tracker's web and REST2 port on 127.0.0.1 (default 19080)
#   NHI_RT_PASSWORD     password of the RT API user nhi-radar, used when the database is
#                       first initialised (default: a random one, kept in run/rt/api.password)
#   NHI_SERVICES_TIMEOUT seconds to wait for readiness (default 120)
#   NHI_SERVICES_OFFLINE 1 to refuse every up-* command: make test-unit sets it to prove
#                       that the -short tests start no service
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
REPO="$(cd "$HERE/../.." && pwd)"
HOME_DIR="${NHI_SERVICES_HOME:-${XDG_CACHE_HOME:-$HOME/.cache}/nhiradar}"
KAFKA_VERSION="$(sed -n 's:.*<kafka.version>\(.*\)</kafka.version>.*:\1:p' "$HERE/kafka/pom.xml")"
KAFKA_PORT="${NHI_KAFKA_PORT:-19092}"
KAFKA_CONTROLLER_PORT="${NHI_KAFKA_CONTROLLER_PORT:-19093}"
KAFKA_HEAP="${NHI_KAFKA_HEAP:-384m}"
CH_PORT="${NHI_CLICKHOUSE_PORT:-19000}"
CH_HTTP_PORT="${NHI_CLICKHOUSE_HTTP_PORT:-18123}"
CH_INTERSERVER_PORT="${NHI_CLICKHOUSE_INTERSERVER_PORT:-}"
ZK_PORT="${NHI_ZOOKEEPER_PORT:-12181}"
ZK_VERSION="$(sed -n 's:.*<zookeeper.version>\(.*\)</zookeeper.version>.*:\1:p' "$HERE/zookeeper/pom.xml")"
RT_PORT="${NHI_RT_PORT:-19080}"
TIMEOUT="${NHI_SERVICES_TIMEOUT:-120}"

CACHE_DIR="${NHI_SERVICES_CACHE:-$HOME_DIR}"
KAFKA_LIBS="$CACHE_DIR/kafka-$KAFKA_VERSION/libs"
KAFKA_RUN="$HOME_DIR/run/kafka"
CH_RUN="$HOME_DIR/run/clickhouse"
ZK_LIBS="$CACHE_DIR/zookeeper-$ZK_VERSION/libs"
ZK_RUN="$HOME_DIR/run/zookeeper"
RT_RUN="$HOME_DIR/run/rt"
RT_SHARE=/usr/share/request-tracker5
RT_USER=nhi-radar
RT_QUEUE="NHI Radar"

log() { printf 'services: %s\n' "$*" >&2; }
die() { printf 'services: error: %s\n' "$*" >&2; exit 1; }

# port_open PORT: true when something accepts TCP connections on 127.0.0.1:PORT.
port_open() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

# running PIDFILE: true when the pid file names a live process.
running() { [[ -s "$1" ]] && kill -0 "$(cat "$1")" 2>/dev/null; }

# cmdline_has PID TEXT: the live process PID was started with TEXT in its command line.
cmdline_has() {
  [[ $1 =~ ^[0-9]+$ ]] || return 1
  local c; c=$(tr '\0' ' ' 2>/dev/null <"/proc/$1/cmdline") || return 1
  [[ $c == *"$2"* ]]
}

# own_pid PIDFILE TEXT: prints the pid of the server this script started for
# this directory, recognised by TEXT (its configuration file's path) in its
# command line: the pid file's process when it is that server, else any live
# process that is (the pid file lost, stale, or naming a reused pid). A busy
# machine can keep a live server from answering for a while; it must never
# look stopped because of that.
own_pid() {
  local pidfile=$1 text=$2 pid d
  if [[ -s $pidfile ]]; then
    pid=$(<"$pidfile")
    cmdline_has "$pid" "$text" && { echo "$pid"; return; }
  fi
  for d in /proc/[0-9]*; do
    pid=${d#/proc/}
    [[ $pid == "$$" ]] && continue
    cmdline_has "$pid" "$text" && { echo "$pid"; return; }
  done
  return 1
}

# adopt NAME PIDFILE PID: point the pid file at our live server PID when it
# names something else (a dead or reused pid, or nothing).
adopt() {
  local name=$1 pidfile=$2 pid=$3
  [[ -s $pidfile && $(<"$pidfile") == "$pid" ]] && return
  log "$name: pid file $pidfile did not name the running server (pid $pid): repaired"
  echo "$pid" >"$pidfile"
}

port_owner() { ss -ltnpH "sport = :$1" 2>/dev/null | sed -n 's/.*users:((\(.*\)))/\1/p' | head -1; }

# claim_port NAME PORT: fail clearly when PORT is taken. Called only once
# own_pid found no server of ours, so whatever holds the port is foreign.
claim_port() {
  local name=$1 port=$2
  if port_open "$port"; then
    die "$name: port $port is already taken by another process (${3:-$(port_owner "$port")}); stop it or choose another port with the environment (see the head of $0)"
  fi
}

# await NAME PID TIMEOUT CHECK...: retry CHECK until it succeeds; fail when
# PID exits or TIMEOUT seconds pass. One failed probe proves nothing on a busy
# machine; only the server's exit or the deadline does.
await() {
  local name=$1 pid=$2 deadline=$((SECONDS + $3)); shift 3
  until "$@"; do
    kill -0 "$pid" 2>/dev/null || return 2
    (( SECONDS < deadline )) || return 1
    sleep 0.5
  done
}

as_root() { if [[ $(id -u) -eq 0 ]]; then "$@"; elif command -v sudo >/dev/null; then sudo "$@"; else die "need root to run: $*"; fi; }

# ---------------------------------------------------------------- Kafka

# maven_install NAME POM LIBS JAR WHAT: resolve POM's dependencies from Maven
# Central into LIBS once (JAR there says it is done), under the install lock.
maven_install() {
  local name=$1 pom=$2 libs=$3 jar=$4 what=$5
  [[ -f "$libs/$jar" ]] && return
  mkdir -p "$CACHE_DIR"
  exec 8>"$CACHE_DIR/install.lock"; flock -w 900 8 || die "$name: another install holds $CACHE_DIR/install.lock"
  [[ -f "$libs/$jar" ]] && { exec 8>&-; return; }
  command -v java >/dev/null || die "$name: java not found (Java 17 or newer is required)"
  command -v mvn >/dev/null || die "$name: mvn not found (Maven resolves $name from Maven Central)"
  log "$name: resolving $what from Maven Central into $libs"
  local tmp="$libs.partial"
  rm -rf "$tmp"; mkdir -p "$tmp"
  if ! timeout 900 mvn -B -q -f "$pom" dependency:copy-dependencies \
      -DoutputDirectory="$tmp" >"$CACHE_DIR/$name-maven.log" 2>&1; then
    tail -20 "$CACHE_DIR/$name-maven.log" >&2
    rm -rf "$tmp"
    die "$name: download from Maven Central failed (full log: $CACHE_DIR/$name-maven.log)"
  fi
  mv "$tmp" "$libs"
  exec 8>&-
}

install_kafka() {
  maven_install kafka "$HERE/kafka/pom.xml" "$KAFKA_LIBS" "kafka_2.13-$KAFKA_VERSION.jar" "org.apache.kafka:kafka_2.13:$KAFKA_VERSION"
}

write_kafka_config() {
  mkdir -p "$KAFKA_RUN/data" "$KAFKA_RUN/logs"
  cat >"$KAFKA_RUN/server.properties" <<EOF
process.roles=broker,controller
node.id=1
controller.quorum.voters=1@127.0.0.1:$KAFKA_CONTROLLER_PORT
listeners=PLAINTEXT://127.0.0.1:$KAFKA_PORT,CONTROLLER://127.0.0.1:$KAFKA_CONTROLLER_PORT
advertised.listeners=PLAINTEXT://127.0.0.1:$KAFKA_PORT
controller.listener.names=CONTROLLER
listener.security.protocol.map=PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT
inter.broker.listener.name=PLAINTEXT
log.dirs=$KAFKA_RUN/data
num.partitions=1
auto.create.topics.enable=true
offsets.topic.replication.factor=1
offsets.topic.num.partitions=4
transaction.state.log.replication.factor=1
transaction.state.log.min.isr=1
share.coordinator.state.topic.replication.factor=1
group.initial.rebalance.delay.ms=0
message.max.bytes=2097152
EOF
  if [[ -n "${NHI_KAFKA_EXTRA_CONFIG:-}" ]]; then
    [[ -r "$NHI_KAFKA_EXTRA_CONFIG" ]] || die "kafka: NHI_KAFKA_EXTRA_CONFIG=$NHI_KAFKA_EXTRA_CONFIG is not a readable file"
    cat "$NHI_KAFKA_EXTRA_CONFIG" >>"$KAFKA_RUN/server.properties"
  fi
  cat >"$KAFKA_RUN/log4j2.properties" <<EOF
status = warn
appender.file.type = RollingFile
appender.file.name = file
appender.file.fileName = $KAFKA_RUN/logs/server.log
appender.file.filePattern = $KAFKA_RUN/logs/server.log.%i
appender.file.layout.type = PatternLayout
appender.file.layout.pattern = [%d] %p %m (%c)%n
appender.file.policies.type = Policies
appender.file.policies.size.type = SizeBasedTriggeringPolicy
appender.file.policies.size.size = 50MB
appender.file.strategy.type = DefaultRolloverStrategy
appender.file.strategy.max = 2
rootLogger.level = info
rootLogger.appenderRef.file.ref = file
EOF
}

# The text in the broker's command line that says it is ours (see own_pid).
KAFKA_ID="kafka.Kafka $KAFKA_RUN/server.properties"
KAFKA_JVM=(-Xms"$KAFKA_HEAP" -Xmx"$KAFKA_HEAP" -XX:+UseG1GC
  -Dlog4j2.configurationFile="$KAFKA_RUN/log4j2.properties" -cp "$KAFKA_LIBS/*")
kafka_java() { java "${KAFKA_JVM[@]}" "$@"; }

kafka_up() {
  local pidfile="$KAFKA_RUN/kafka.pid" pid
  if pid=$(own_pid "$pidfile" "$KAFKA_ID"); then
    adopt kafka "$pidfile" "$pid"
    kafka_wait "$pidfile"
    log "kafka: already running (pid $pid, 127.0.0.1:$KAFKA_PORT)"
    return
  fi
  claim_port kafka "$KAFKA_PORT"
  claim_port kafka-controller "$KAFKA_CONTROLLER_PORT"
  install_kafka
  write_kafka_config
  if [[ ! -f "$KAFKA_RUN/data/meta.properties" ]]; then
    log "kafka: formatting storage in $KAFKA_RUN/data"
    local extra=()
    [[ -n "${NHI_KAFKA_FORMAT_ARGS:-}" ]] && mapfile -t extra <<<"$NHI_KAFKA_FORMAT_ARGS"
    kafka_java kafka.tools.StorageTool format -t "$(kafka_java kafka.tools.StorageTool random-uuid)" \
      -c "$KAFKA_RUN/server.properties" "${extra[@]}" >"$KAFKA_RUN/logs/format.log" 2>&1 \
      || { cat "$KAFKA_RUN/logs/format.log" >&2; die "kafka: formatting storage failed"; }
  fi
  log "kafka: starting $KAFKA_VERSION on 127.0.0.1:$KAFKA_PORT (heap $KAFKA_HEAP)"
  nohup setsid java "${KAFKA_JVM[@]}" kafka.Kafka "$KAFKA_RUN/server.properties" \
    </dev/null >"$KAFKA_RUN/logs/stdout.log" 2>&1 8>&- 9>&- &
  echo $! >"$pidfile"
  kafka_wait "$pidfile"
}

kafka_wait() {
  local pidfile=$1 deadline=$((SECONDS + TIMEOUT))
  # Ready means a client can create a topic and produce to it, not merely that the port is open.
  local probe="$CACHE_DIR/bin/kafkaready"
  if [[ ! -x "$probe" || "$REPO/packaging/dev/kafkaready/main.go" -nt "$probe" ]]; then
    mkdir -p "$CACHE_DIR/bin"
    (cd "$REPO" && go build -o "$probe" ./packaging/dev/kafkaready) || die "kafka: cannot build the readiness probe"
  fi
  until "$probe" -broker "127.0.0.1:$KAFKA_PORT" -timeout 5s 2>>"$KAFKA_RUN/logs/ready.log"; do
    running "$pidfile" || { tail -30 "$KAFKA_RUN/logs/stdout.log" "$KAFKA_RUN/logs/server.log" >&2 2>/dev/null; die "kafka: broker exited during start (logs in $KAFKA_RUN/logs)"; }
    (( SECONDS < deadline )) || die "kafka: not ready after ${TIMEOUT}s (logs in $KAFKA_RUN/logs)"
    sleep 1
  done
  log "kafka: ready"
}

# ---------------------------------------------------------------- ZooKeeper

install_zookeeper() {
  maven_install zookeeper "$HERE/zookeeper/pom.xml" "$ZK_LIBS" "zookeeper-$ZK_VERSION.jar" "org.apache.zookeeper:zookeeper:$ZK_VERSION"
}

# zookeeper_ready: the server answers `srvr` and serves requests.
zookeeper_ready() {
  local out
  out=$( (exec 3<>"/dev/tcp/127.0.0.1/$ZK_PORT" && echo srvr >&3 && timeout 2 cat <&3) 2>/dev/null) || return 1
  [[ $out == *"Mode: standalone"* ]]
}

ZK_ID="ZooKeeperServerMain $ZK_RUN/zoo.cfg"

zookeeper_up() {
  local pidfile="$ZK_RUN/zookeeper.pid" pid
  if pid=$(own_pid "$pidfile" "$ZK_ID"); then
    adopt zookeeper "$pidfile" "$pid"
    await zookeeper "$pid" "$TIMEOUT" zookeeper_ready || die "zookeeper: pid $pid runs but does not answer on 127.0.0.1:$ZK_PORT (logs in $ZK_RUN/logs)"
    log "zookeeper: already running (pid $pid, 127.0.0.1:$ZK_PORT)"
    return
  fi
  claim_port zookeeper "$ZK_PORT"
  install_zookeeper
  mkdir -p "$ZK_RUN/data" "$ZK_RUN/logs"
  log "zookeeper: starting $ZK_VERSION on 127.0.0.1:$ZK_PORT"
  cat >"$ZK_RUN/zoo.cfg" <<EOF
tickTime=2000
dataDir=$ZK_RUN/data
clientPort=$ZK_PORT
clientPortAddress=127.0.0.1
admin.enableServer=false
4lw.commands.whitelist=srvr
EOF
  nohup setsid java -Xms32m -Xmx128m -cp "$ZK_LIBS/*" \
    org.apache.zookeeper.server.ZooKeeperServerMain "$ZK_RUN/zoo.cfg" </dev/null >"$ZK_RUN/logs/stdout.log" 2>&1 8>&- 9>&- &
  echo $! >"$pidfile"
  local deadline=$((SECONDS + TIMEOUT))
  until zookeeper_ready; do
    running "$pidfile" || { tail -30 "$ZK_RUN/logs/stdout.log" >&2; die "zookeeper: exited during start (logs in $ZK_RUN/logs)"; }
    (( SECONDS < deadline )) || die "zookeeper: not ready after ${TIMEOUT}s (logs in $ZK_RUN/logs)"
    sleep 0.5
  done
  log "zookeeper: ready"
}

# ---------------------------------------------------------------- ClickHouse

install_clickhouse() {
  command -v clickhouse-server >/dev/null && command -v clickhouse-client >/dev/null && return
  exec 8>"$CACHE_DIR/install.lock"; flock -w 900 8 || die "clickhouse: another install holds $CACHE_DIR/install.lock"
  command -v clickhouse-server >/dev/null && command -v clickhouse-client >/dev/null && { exec 8>&-; return; }
  log "clickhouse: installing Debian's clickhouse-server and clickhouse-client"
  mkdir -p "$HOME_DIR"
  export DEBIAN_FRONTEND=noninteractive
  if ! apt_has_candidate clickhouse-server; then
    as_root apt-get update -q >/dev/null || die "clickhouse: apt-get update failed"
  fi
  apt_install clickhouse clickhouse-server clickhouse-client
  exec 8>&-
}

# ---------------------------------------------------------------- Chromium

# install_chromium: Debian's chromium, for the HTML report's tests (headless
# rendering; nothing is started). Idempotent: an installed browser is kept.
install_chromium() {
  command -v chromium >/dev/null && return
  exec 8>"$CACHE_DIR/install.lock"; flock -w 900 8 || die "chromium: another install holds $CACHE_DIR/install.lock"
  command -v chromium >/dev/null && { exec 8>&-; return; }
  log "chromium: installing Debian's chromium (a minute or two on a fresh machine)"
  export DEBIAN_FRONTEND=noninteractive
  if ! apt_has_candidate chromium; then
    as_root apt-get update -q >/dev/null || die "chromium: apt-get update failed"
  fi
  apt_install chromium --no-install-recommends chromium fonts-dejavu-core
  command -v chromium >/dev/null || die "chromium: installed, yet no chromium on PATH"
  exec 8>&-
}

# install_package_tools: rpm (to read the built .rpm) and systemd-analyze (to
# verify the units) for packaging/nfpm's tests. Idempotent.
install_package_tools() {
  command -v rpm >/dev/null && command -v systemd-analyze >/dev/null && return
  exec 8>"$CACHE_DIR/install.lock"; flock -w 900 8 || die "package tools: another install holds $CACHE_DIR/install.lock"
  log "package tools: installing Debian's rpm and systemd"
  export DEBIAN_FRONTEND=noninteractive
  if ! apt_has_candidate rpm; then
    as_root apt-get update -q >/dev/null || die "package tools: apt-get update failed"
  fi
  apt_install package-tools --no-install-recommends rpm systemd
  command -v rpm >/dev/null && command -v systemd-analyze >/dev/null || die "package tools: installed, yet rpm or systemd-analyze is not on PATH"
  exec 8>&-
}

# apt_has_candidate PACKAGE: the package lists know PACKAGE. (Not a pipe into
# grep -q: under pipefail, apt-cache's SIGPIPE would read as "unknown".)
apt_has_candidate() {
  local policy; policy=$(apt-cache policy "$1" 2>/dev/null) || return 1
  [[ $policy =~ Candidate:\ [0-9] ]]
}

# apt_install NAME PACKAGE...: install without starting the system services
# the packages ship (we run our own instances), log in CACHE_DIR/NAME-apt.log.
apt_install() {
  local name=$1; shift
  local aptlog="$CACHE_DIR/$name-apt.log"
  as_root bash -c 'printf "#!/bin/sh\nexit 101\n" > /usr/sbin/policy-rc.d.nhi; chmod +x /usr/sbin/policy-rc.d.nhi'
  local had_policy=0; [[ -e /usr/sbin/policy-rc.d ]] && had_policy=1
  [[ $had_policy == 0 ]] && as_root cp /usr/sbin/policy-rc.d.nhi /usr/sbin/policy-rc.d
  local rc=0
  as_root apt-get install -y -q -o DPkg::Lock::Timeout=600 "$@" >"$aptlog" 2>&1 || rc=$?
  [[ $had_policy == 0 ]] && as_root rm -f /usr/sbin/policy-rc.d
  as_root rm -f /usr/sbin/policy-rc.d.nhi
  (( rc == 0 )) || { tail -20 "$aptlog" >&2; die "$name: apt-get install $* failed (log: $aptlog)"; }
}

write_clickhouse_config() {
  mkdir -p "$CH_RUN"/{data,tmp,logs,user_files,format_schemas}
  cat >"$CH_RUN/config.xml" <<EOF
<?xml version="1.0"?>
<yandex>
  <logger>
    <level>warning</level>
    <log>$CH_RUN/logs/server.log</log>
    <errorlog>$CH_RUN/logs/server.err.log</errorlog>
    <size>50M</size>
    <count>2</count>
  </logger>
  <listen_host>127.0.0.1</listen_host>
  <tcp_port>$CH_PORT</tcp_port>
  <http_port>$CH_HTTP_PORT</http_port>
  <path>$CH_RUN/data/</path>
  <tmp_path>$CH_RUN/tmp/</tmp_path>
  <user_files_path>$CH_RUN/user_files/</user_files_path>
  <format_schema_path>$CH_RUN/format_schemas/</format_schema_path>
  <users_config>$CH_RUN/users.xml</users_config>
  <default_profile>default</default_profile>
  <default_database>default</default_database>
  <mark_cache_size>268435456</mark_cache_size>
  <max_concurrent_queries>100</max_concurrent_queries>
  <timezone>UTC</timezone>
</yandex>
EOF
  mkdir -p "$CH_RUN/config.d"
  rm -f "$CH_RUN/config.d/"*.xml
  if [[ -n "$CH_INTERSERVER_PORT" ]]; then
    printf '<?xml version="1.0"?>\n<yandex>\n  <interserver_http_host>127.0.0.1</interserver_http_host>\n  <interserver_http_port>%s</interserver_http_port>\n</yandex>\n' \
      "$CH_INTERSERVER_PORT" >"$CH_RUN/config.d/interserver.xml"
  fi
  if [[ -n "${NHI_CLICKHOUSE_EXTRA_CONFIG:-}" ]]; then
    [[ -r "$NHI_CLICKHOUSE_EXTRA_CONFIG" ]] || die "clickhouse: NHI_CLICKHOUSE_EXTRA_CONFIG=$NHI_CLICKHOUSE_EXTRA_CONFIG is not a readable file"
    cp "$NHI_CLICKHOUSE_EXTRA_CONFIG" "$CH_RUN/config.d/extra.xml"
  fi
  cat >"$CH_RUN/users.xml" <<EOF
<?xml version="1.0"?>
<yandex>
  <profiles><default><max_memory_usage>4000000000</max_memory_usage><load_balancing>random</load_balancing></default></profiles>
  <users>
    <default>
      <password></password>
      <networks><ip>127.0.0.1</ip><ip>::1</ip></networks>
      <profile>default</profile>
      <quota>default</quota>
    </default>
  </users>
  <quotas><default><interval><duration>3600</duration><queries>0</queries><errors>0</errors><result_rows>0</result_rows><read_rows>0</read_rows><execution_time>0</execution_time></interval></default></quotas>
</yandex>
EOF
}

CH_ID="--config-file=$CH_RUN/config.xml"

# clickhouse_ready: the server answers a query. Bounded: a stopped or
# swapping server accepts the connection and then says nothing.
clickhouse_ready() {
  timeout 10 clickhouse-client --host 127.0.0.1 --port "$CH_PORT" --connect_timeout 5 -q 'SELECT 1' >/dev/null 2>&1
}

clickhouse_up() {
  local pidfile="$CH_RUN/clickhouse.pid" pid rc=0
  if pid=$(own_pid "$pidfile" "$CH_ID"); then
    adopt clickhouse "$pidfile" "$pid"
    await clickhouse "$pid" "$TIMEOUT" clickhouse_ready || die "clickhouse: pid $pid runs but does not answer a query on 127.0.0.1:$CH_PORT (logs in $CH_RUN/logs)"
    log "clickhouse: already running (pid $pid, 127.0.0.1:$CH_PORT)"
    return
  fi
  claim_port clickhouse "$CH_PORT"
  claim_port clickhouse-http "$CH_HTTP_PORT"
  [[ -n "$CH_INTERSERVER_PORT" ]] && claim_port clickhouse-interserver "$CH_INTERSERVER_PORT"
  install_clickhouse
  write_clickhouse_config
  log "clickhouse: starting $(dpkg-query -W -f '${Version}' clickhouse-server 2>/dev/null) on 127.0.0.1:$CH_PORT"
  nohup setsid clickhouse-server "$CH_ID" </dev/null >"$CH_RUN/logs/stdout.log" 2>&1 8>&- 9>&- &
  pid=$!
  echo "$pid" >"$pidfile"
  await clickhouse "$pid" "$TIMEOUT" clickhouse_ready || rc=$?
  case $rc in
    0) log "clickhouse: ready" ;;
    2) tail -30 "$CH_RUN/logs/stdout.log" "$CH_RUN/logs/server.err.log" >&2 2>/dev/null; die "clickhouse: server exited during start (logs in $CH_RUN/logs)" ;;
    *) die "clickhouse: not ready after ${TIMEOUT}s (logs in $CH_RUN/logs)" ;;
  esac
}

# ---------------------------------------------------------------- Request Tracker

# curl is the readiness probe's client.
RT_PACKAGES=(request-tracker5 rt5-db-sqlite rt5-standalone curl)

# rt_installed: the packages' files are there, with the SQLite driver and the
# Starlet server rt-server needs (a half-removed install fails here, not later).
rt_installed() {
  [[ -x "$RT_SHARE/libexec/rt-server" && -x /usr/sbin/rt-setup-database-5 ]] && command -v curl >/dev/null &&
    perl -MStarlet -MDBD::SQLite -e1 2>/dev/null
}

# install_rt: Debian 12's RT 5 with SQLite and the standalone (Plack) server.
# The debconf answers keep apt from asking anything and from creating a
# database through dbconfig-common: up-rt keeps its own under run/rt.
install_rt() {
  rt_installed && return
  exec 8>"$CACHE_DIR/install.lock"; flock -w 900 8 || die "rt: another install holds $CACHE_DIR/install.lock"
  rt_installed && { exec 8>&-; return; }
  log "rt: installing Debian's ${RT_PACKAGES[*]} (about a minute on a fresh machine)"
  export DEBIAN_FRONTEND=noninteractive
  as_root debconf-set-selections <<EOF || die "rt: debconf-set-selections failed (is debconf installed?)"
request-tracker5 request-tracker5/dbconfig-install boolean false
request-tracker5 request-tracker5/rtname string nhiradar.test
request-tracker5 request-tracker5/organization string nhiradar.test
request-tracker5 request-tracker5/correspondaddress string rt@nhiradar.test
request-tracker5 request-tracker5/commentaddress string rt-comment@nhiradar.test
request-tracker5 request-tracker5/webbaseurl string http://127.0.0.1:$RT_PORT
request-tracker5 request-tracker5/handle-siteconfig-permissions boolean true
request-tracker5 request-tracker5/install-cronjobs boolean false
EOF
  if ! apt_has_candidate request-tracker5; then
    as_root apt-get update -q >/dev/null || die "rt: apt-get update failed"
  fi
  local start=$SECONDS
  # Its mail transport (exim4, a dependency) would start as a system service: apt_install stops that.
  apt_install rt --no-install-recommends "${RT_PACKAGES[@]}"
  log "rt: installed in $((SECONDS - start))s"
  exec 8>&-
}

# write_rt_config: RT reads only this file and directory (RT_SITE_CONFIG,
# RT_SITE_CONFIG_DIR), so the packaged /etc/request-tracker5 never matters.
write_rt_config() {
  mkdir -p "$RT_RUN"/{data,logs,mason_data,session_data,site.d}
  cat >"$RT_RUN/RT_SiteConfig.pm" <<EOF
Set(\$rtname, 'nhiradar.test');
Set(\$Organization, 'nhiradar.test');
Set(\$Timezone, 'UTC');
Set(\$WebDomain, '127.0.0.1');
Set(\$WebPort, $RT_PORT);
Set(\$WebPath, '');
Set(\$WebBaseURL, 'http://127.0.0.1:$RT_PORT');
Set(\$DatabaseType, 'SQLite');
Set(\$DatabaseName, '$RT_RUN/data/rt.db');
Set(\$MasonDataDir, '$RT_RUN/mason_data');
Set(\$MasonSessionDir, '$RT_RUN/session_data');
Set(\$LogToSyslog, undef);
Set(\$LogToSTDERR, 'warning');
Set(\$LogToFile, 'info');
Set(\$LogDir, '$RT_RUN/logs');
Set(\$LogToFileNamed, 'rt.log');
# No MTA in a dev box: outgoing mail (autoreplies, notifications) goes to an mbox file.
Set(\$MailCommand, 'mbox');
Set(\$CorrespondAddress, 'rt@nhiradar.test');
Set(\$CommentAddress, 'rt-comment@nhiradar.test');
1;
EOF
}

rt_env() { env RT_SITE_CONFIG="$RT_RUN/RT_SiteConfig.pm" RT_SITE_CONFIG_DIR="$RT_RUN/site.d" "$@"; }

# rt_init_db: schema and core data, then packaging/dev/rt/initialdata (queue,
# custom field, API users, auth token). The marker holds the initialdata's
# checksum: a partial database from an interrupted run, or one built from an
# older initialdata, is thrown away and built again (it holds only test data).
rt_init_db() {
  rt_data_current && return
  log "rt: initialising the SQLite database $RT_RUN/data/rt.db from $HERE/rt/initialdata"
  rm -f "$RT_RUN/data/rt.db" "$RT_RUN/data/initialised" "$RT_RUN/api.token" "$RT_RUN/auth.header"
  ( umask 077
    [[ -s "$RT_RUN/api.password" ]] || printf '%s\n' "${NHI_RT_PASSWORD:-$(random_secret)}" >"$RT_RUN/api.password"
    [[ -s "$RT_RUN/viewer.password" ]] || random_secret >"$RT_RUN/viewer.password"
    random_secret >"$RT_RUN/root.password" )
  rt_env /usr/sbin/rt-setup-database-5 --action init --skip-create --root-password-file "$RT_RUN/root.password" \
      >"$RT_RUN/logs/setup-database.log" 2>&1 \
    || { tail -20 "$RT_RUN/logs/setup-database.log" >&2; die "rt: rt-setup-database --action init failed (log: $RT_RUN/logs/setup-database.log)"; }
  NHI_RT_PASSWORD="$(cat "$RT_RUN/api.password")" NHI_RT_VIEWER_PASSWORD="$(cat "$RT_RUN/viewer.password")" \
    NHI_RT_TOKEN_FILE="$RT_RUN/api.token" \
    rt_env /usr/sbin/rt-setup-database-5 --action insert --skip-create --datafile "$HERE/rt/initialdata" \
      >>"$RT_RUN/logs/setup-database.log" 2>&1 \
    || { tail -20 "$RT_RUN/logs/setup-database.log" >&2; die "rt: loading $HERE/rt/initialdata failed (log: $RT_RUN/logs/setup-database.log)"; }
  [[ -s "$RT_RUN/api.token" ]] || die "rt: initialdata did not write the auth token $RT_RUN/api.token (log: $RT_RUN/logs/setup-database.log)"
  ( umask 077; printf 'Authorization: token %s\n' "$(cat "$RT_RUN/api.token")" >"$RT_RUN/auth.header" )
  rt_data_sum >"$RT_RUN/data/initialised"
}

random_secret() { head -c 18 /dev/urandom | base64 | tr '+/' '-_'; }
rt_data_sum() { sha256sum "$HERE/rt/initialdata" | cut -d' ' -f1; }
# rt_data_current: the database was built, completely, from today's initialdata.
rt_data_current() { [[ -s "$RT_RUN/data/initialised" && "$(cat "$RT_RUN/data/initialised")" == "$(rt_data_sum)" ]]; }

# rt_ready: REST2 answers an authenticated request for the NHI Radar queue, so
# the database, the API user and its token all work; the token is read by curl
# from a file, never put on a command line.
rt_ready() {
  [[ -s "$RT_RUN/auth.header" ]] || return 1
  curl -fsS -m 5 -o /dev/null -H "@$RT_RUN/auth.header" \
    "http://127.0.0.1:$RT_PORT/REST/2.0/queue/${RT_QUEUE// /%20}" 2>>"$RT_RUN/logs/ready.log"
}

rt_up() {
  local pidfile="$RT_RUN/rt.pid"
  if running "$pidfile" && rt_ready; then
    if rt_data_current; then log "rt: already running (pid $(cat "$pidfile"), http://127.0.0.1:$RT_PORT)"; return; fi
    log "rt: $HERE/rt/initialdata changed since the database was built: restarting with a new one"
    stop rt "$pidfile"
  fi
  running "$pidfile" || claim_port rt "$RT_PORT"
  install_rt
  write_rt_config
  rt_init_db
  log "rt: starting $(dpkg-query -W -f '${Version}' request-tracker5 2>/dev/null) on http://127.0.0.1:$RT_PORT"
  # Starlet (prefork); two workers are enough for tests and spare a small machine.
  nohup setsid env RT_SITE_CONFIG="$RT_RUN/RT_SiteConfig.pm" RT_SITE_CONFIG_DIR="$RT_RUN/site.d" \
    "$RT_SHARE/libexec/rt-server" --host 127.0.0.1 --port "$RT_PORT" --max-workers 2 \
    --access-log "$RT_RUN/logs/access.log" </dev/null >"$RT_RUN/logs/stdout.log" 2>&1 8>&- 9>&- &
  echo $! >"$pidfile"
  local deadline=$((SECONDS + TIMEOUT))
  until rt_ready; do
    running "$pidfile" || { tail -30 "$RT_RUN/logs/stdout.log" "$RT_RUN/logs/rt.log" >&2 2>/dev/null; die "rt: rt-server exited during start (logs in $RT_RUN/logs)"; }
    (( SECONDS < deadline )) || die "rt: not ready after ${TIMEOUT}s (logs in $RT_RUN/logs, last error in ready.log)"
    sleep 0.5
  done
  log "rt: ready (user $RT_USER; token in $RT_RUN/api.token, password in $RT_RUN/api.password)"
}

rt_status() {
  if running "$RT_RUN/rt.pid" && rt_ready; then echo "rt: running pid $(cat "$RT_RUN/rt.pid") http://127.0.0.1:$RT_PORT"; else echo "rt: stopped"; return 3; fi
}

# ---------------------------------------------------------------- commands

# stop NAME PIDFILE [ID]: stop the server; with ID (see own_pid) also one
# whose pid file was lost, and never a stranger that reused its pid.
stop() {
  local name=$1 pidfile=$2 id=${3:-} pid
  if [[ -n $id ]]; then
    pid=$(own_pid "$pidfile" "$id") || { log "$name: not running"; rm -f "$pidfile"; return; }
  else
    running "$pidfile" || { log "$name: not running"; rm -f "$pidfile"; return; }
    pid=$(<"$pidfile")
  fi
  log "$name: stopping (pid $pid)"
  kill -TERM -- "-$pid" 2>/dev/null || kill -TERM "$pid"
  for _ in $(seq 1 60); do kill -0 "$pid" 2>/dev/null || break; sleep 0.5; done
  kill -0 "$pid" 2>/dev/null && { log "$name: still running after 30s, killing"; kill -KILL -- "-$pid" 2>/dev/null || kill -KILL "$pid"; }
  rm -f "$pidfile"
}

# status_of NAME PIDFILE ID PORT CHECK...: running (answering CHECK within a
# few seconds), busy (our server lives but does not answer), or stopped.
status_of() {
  local name=$1 pidfile=$2 id=$3 port=$4 pid; shift 4
  if ! pid=$(own_pid "$pidfile" "$id"); then echo "$name: stopped"; return 3; fi
  if await "$name" "$pid" 5 "$@"; then echo "$name: running pid $pid 127.0.0.1:$port"; return; fi
  echo "$name: not answering, pid $pid 127.0.0.1:$port (busy or starting; logs under $HOME_DIR/run)"
  return 3
}
status_kafka() { status_of kafka "$KAFKA_RUN/kafka.pid" "$KAFKA_ID" "$KAFKA_PORT" port_open "$KAFKA_PORT"; }
status_clickhouse() { status_of clickhouse "$CH_RUN/clickhouse.pid" "$CH_ID" "$CH_PORT" clickhouse_ready; }

status() {
  local rc=0
  status_kafka || rc=3
  status_clickhouse || rc=3
  return $rc
}

mkdir -p "$HOME_DIR" "$CACHE_DIR"
# Several test processes may call `up` at once on a fresh machine: one installs, the others wait.
exec 9>"$HOME_DIR/services.lock"
flock -w "$((TIMEOUT * 10))" 9 || die "another services.sh holds $HOME_DIR/services.lock"
if [[ ${NHI_SERVICES_OFFLINE:-} == 1 && ${1:-} == up* ]]; then
  die "${1}: NHI_SERVICES_OFFLINE=1 forbids starting services (a test that needs one must call devservices.Integration; run it with make test)"
fi
case "${1:-}" in
  up) clickhouse_up; kafka_up ;;
  up-kafka) kafka_up ;;
  up-clickhouse) clickhouse_up ;;
  # RT is started on demand (up-rt, by its tests); down stops it too when it runs.
  down) stop kafka "$KAFKA_RUN/kafka.pid" "$KAFKA_ID"; stop clickhouse "$CH_RUN/clickhouse.pid" "$CH_ID"
        if running "$RT_RUN/rt.pid"; then stop rt "$RT_RUN/rt.pid"; fi ;;
  down-kafka) stop kafka "$KAFKA_RUN/kafka.pid" "$KAFKA_ID" ;;
  down-clickhouse) stop clickhouse "$CH_RUN/clickhouse.pid" "$CH_ID" ;;
  status-kafka) status_kafka ;;
  status-clickhouse) status_clickhouse ;;
  up-zookeeper) zookeeper_up ;;
  down-zookeeper) stop zookeeper "$ZK_RUN/zookeeper.pid" "$ZK_ID" ;;
  status) rc=0; status || rc=$?; if [[ -e "$RT_RUN/rt.pid" ]]; then rt_status || true; fi; exit "$rc" ;;
  up-rt) rt_up ;;
  down-rt) stop rt "$RT_RUN/rt.pid" ;;
  status-rt) rt_status ;;
  env-rt) echo "NHI_RT_URL=http://127.0.0.1:$RT_PORT"; echo "NHI_RT_USER=$RT_USER"
          echo "NHI_RT_TOKEN_FILE=$RT_RUN/api.token"; echo "NHI_RT_PASSWORD_FILE=$RT_RUN/api.password"
          echo "NHI_RT_PID_FILE=$RT_RUN/rt.pid"
          echo "NHI_RT_VIEWER=nhi-radar-viewer"; echo "NHI_RT_VIEWER_PASSWORD_FILE=$RT_RUN/viewer.password"
          if rt_data_current; then echo "NHI_RT_DATA_CURRENT=1"; else echo "NHI_RT_DATA_CURRENT=0"; fi ;;
  install-chromium) install_chromium; command -v chromium ;;
  install-package-tools) install_package_tools ;;
  env) echo "NHI_KAFKA_BROKERS=127.0.0.1:$KAFKA_PORT"; echo "NHI_CLICKHOUSE_ADDR=127.0.0.1:$CH_PORT" ;;
  *) echo "usage: $0 up|down|status|env|up-kafka|down-kafka|status-kafka|up-clickhouse|down-clickhouse|status-clickhouse|up-zookeeper|down-zookeeper|up-rt|down-rt|status-rt|env-rt|install-chromium|install-package-tools" >&2; exit 2 ;;
esac
