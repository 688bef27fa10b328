-- Identities no longer present: the latest full scans stopped listing them.
SELECT kind, principal, last_seen, hosts
FROM nhi_inventory
WHERE still_present = 0
ORDER BY last_seen DESC, principal
