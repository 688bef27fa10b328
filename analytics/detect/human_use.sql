-- Who logged in as, su'd or sudo'd into each OS service account, per host:
-- the latest such use of each actor and the log it was read from. Left
-- out server-side, as the Go side would: su and sudo by root or by the
-- account itself (init scripts, cron), and uses older than the policy's
-- longest dormant window (? = its start), which have aged out everywhere.
-- Unordered: the Go side sorts them faster than the server's ORDER BY.
SELECT host, nhi_id, principal, evidence, actor, maxMerge(last_used) AS last_used, argMaxMerge(source) AS source
FROM {usage_actor_state}
WHERE kind = 'os_service_account' AND evidence IN ('ssh_login', 'su', 'sudo')
    AND (evidence = 'ssh_login' OR (actor != 'root' AND actor != principal))
GROUP BY host, nhi_id, principal, evidence, actor
HAVING last_used >= ?
