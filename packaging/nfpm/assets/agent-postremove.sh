#!/bin/sh
# nhi-agent postremove: purge drops the state (agent id, spool); the system
# user stays, as Debian policy asks, so that files it owns keep an owner.
set -e
if [ "$1" = purge ]; then
	rm -rf /var/lib/nhi-agent
fi
if [ -d /run/systemd/system ]; then
	systemctl daemon-reload >/dev/null 2>&1 || true
fi
exit 0
