-- Identities spread over the most hosts: one secret copied everywhere.
SELECT kind, principal, length(hosts) AS host_count, arraySort(hosts) AS hosts
FROM nhi_inventory
ORDER BY host_count DESC, principal
LIMIT 20
