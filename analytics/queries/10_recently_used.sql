-- Identities used in the last 24 hours, with the newest evidence and who used them.
SELECT kind, principal, last_used, last_evidence, last_actor, last_source
FROM nhi_inventory
WHERE last_used >= now() - INTERVAL 1 DAY
ORDER BY last_used DESC, principal
