-- Agents whose spool is backing up or that dropped events.
SELECT agent_id, host, spool_depth, dropped, version, last_seen
FROM agents
WHERE spool_depth > 1000 OR dropped > 0
ORDER BY dropped DESC, spool_depth DESC, agent_id
