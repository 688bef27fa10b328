-- Agents whose self-limits (CPU or read budget) paused their plugins, by
-- their latest heartbeat of the last day: scans there take longer than
-- their interval says.
SELECT agent_id, any(host) AS host,
       argMax(hb_budget_pauses, time) AS pauses,
       argMax(hb_budget_reason, time) AS reason,
       argMax(hb_budget_throttled, time) AS throttled_now,
       max(time) AS last_heartbeat
FROM events
WHERE type = 'agent_heartbeat' AND time > now() - INTERVAL 1 DAY
GROUP BY agent_id
HAVING pauses > 0
ORDER BY pauses DESC, agent_id
