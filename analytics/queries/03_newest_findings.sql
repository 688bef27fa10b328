-- Identities first seen in the last 24 hours, newest first.
SELECT kind, principal, first_seen, hosts, locations
FROM nhi_inventory
WHERE first_seen >= now() - INTERVAL 1 DAY
ORDER BY first_seen DESC, principal
LIMIT 100
