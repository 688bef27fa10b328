#!/bin/sh
# nhi-collector postinstall: the dedicated system user and its state
# directory (the local dead-letter file).
set -e
user=nhi-collector
if ! getent passwd "$user" >/dev/null; then
	if [ -f /etc/debian_version ]; then
		adduser --system --group --no-create-home --home /var/lib/nhi-collector --shell /usr/sbin/nologin "$user" >/dev/null
	else
		useradd --system --user-group --no-create-home --home-dir /var/lib/nhi-collector --shell /sbin/nologin "$user"
	fi
fi
install -d -m 0700 -o "$user" -g "$user" /var/lib/nhi-collector
cat <<MSG
nhi-collector: set Kafka and ClickHouse in /etc/nhi-collector/collector.yaml and check it with
  nhi-collector config check /etc/nhi-collector/collector.yaml
(the ClickHouse password in the file clickhouse.password_file names, or as NHI_CLICKHOUSE_PASSWORD
in /etc/nhi-collector/collector.env, mode 0600), then:
  systemctl enable --now nhi-collector
MSG
if [ -f /etc/nhi-collector/collector.json ]; then
	echo "nhi-collector: /etc/nhi-collector/collector.json is no longer read: move its settings to collector.yaml" >&2
fi
if [ -d /run/systemd/system ]; then
	systemctl daemon-reload >/dev/null 2>&1 || true
fi
exit 0
