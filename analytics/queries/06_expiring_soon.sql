-- Identities still present that expire within 30 days (or have expired).
SELECT kind, principal, expires_at, hosts
FROM nhi_inventory
WHERE expires_at > toDateTime(0) AND expires_at < now() + INTERVAL 30 DAY AND still_present = 1
ORDER BY expires_at, principal
