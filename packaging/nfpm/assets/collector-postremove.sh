#!/bin/sh
# nhi-collector postremove: purge drops the state (local dead letters); the system
# user stays, as Debian policy asks, so that files it owns keep an owner.
set -e
case "$1" in
purge) rm -rf /var/lib/nhi-collector ;;
# Removal leaves nothing but the configuration: the state directory goes if
# empty; one holding state (agent id, spool) waits for purge.
remove | 0) rmdir --ignore-fail-on-non-empty /var/lib/nhi-collector 2>/dev/null || true ;;
esac
if [ -d /run/systemd/system ]; then
	systemctl daemon-reload >/dev/null 2>&1 || true
fi
exit 0
