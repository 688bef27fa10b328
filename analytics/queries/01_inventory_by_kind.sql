-- Identities by kind, and how many are still present on some host.
SELECT kind, count() AS identities, sum(still_present) AS present
FROM nhi_inventory
GROUP BY kind
ORDER BY identities DESC, kind
