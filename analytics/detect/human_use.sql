-- Who logged in as, su'd or sudo'd into each OS service account, per host:
-- the latest such use of each actor and the log it was read from.
SELECT host, nhi_id, principal, evidence, actor, last_used, source
FROM (
    SELECT host, nhi_id, principal, evidence, actor, maxMerge(last_used) AS last_used, argMaxMerge(source) AS source
    FROM {usage_actor_state}
    WHERE kind = 'os_service_account' AND evidence IN ('ssh_login', 'su', 'sudo')
    GROUP BY host, nhi_id, principal, evidence, actor
)
ORDER BY host, nhi_id, evidence, actor
