-- Agents that stopped reporting: no heartbeat for 15 minutes.
SELECT agent_id, host, version, last_seen, toUInt32(now()) - toUInt32(last_seen) AS silent_seconds
FROM agents
WHERE last_seen < now() - INTERVAL 15 MINUTE
ORDER BY last_seen
