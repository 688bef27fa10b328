#!/bin/sh
# nhi-collector preremove: stop the service on removal (dpkg: remove; rpm: 0
# packages left), not on upgrade.
set -e
case "$1" in
remove | 0)
	if [ -d /run/systemd/system ]; then
		systemctl disable --now nhi-collector.service >/dev/null 2>&1 || true
	fi
	;;
esac
exit 0
