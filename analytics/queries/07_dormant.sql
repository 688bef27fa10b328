-- Dormant: known for 90 days, still present, and no usage evidence for 90 days (or ever).
SELECT kind, principal, if(last_used = toDateTime(0), 'never', toString(last_used)) AS used, first_seen, hosts
FROM nhi_inventory
WHERE still_present = 1 AND last_used < now() - INTERVAL 90 DAY AND first_seen < now() - INTERVAL 90 DAY
ORDER BY kind, principal
