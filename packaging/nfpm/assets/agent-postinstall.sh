#!/bin/sh
# nhi-agent postinstall: the dedicated system user, its state directory, and
# a note about the fingerprint key, which the package never ships: it is the
# organisation's secret and the same on every host.
set -e
user=nhi-agent
if ! getent passwd "$user" >/dev/null; then
	if [ -f /etc/debian_version ]; then
		adduser --system --group --no-create-home --home /var/lib/nhi-agent --shell /usr/sbin/nologin "$user" >/dev/null
	else
		useradd --system --user-group --no-create-home --home-dir /var/lib/nhi-agent --shell /sbin/nologin "$user"
	fi
fi
install -d -m 0700 -o "$user" -g "$user" /var/lib/nhi-agent
key=/etc/nhi-agent/fingerprint.key
if [ ! -e "$key" ]; then
	cat <<MSG
nhi-agent: install the organisation fingerprint key before starting the service:
  install -m 0600 -o root -g root /path/to/fingerprint.key $key
(systemd passes it to the service as a credential: LoadCredential= in nhi-agent.service)
then set the brokers in /etc/nhi-agent/agent.yaml and run:
  nhi-agent config check /etc/nhi-agent/agent.yaml && systemctl enable --now nhi-agent
MSG
elif [ "$(stat -c %a "$key")" != 600 ]; then
	echo "nhi-agent: warning: $key has mode $(stat -c %a "$key"); it should be 0600, owned by root" >&2
fi
if [ -d /run/systemd/system ]; then
	systemctl daemon-reload >/dev/null 2>&1 || true
fi
exit 0
