-- The same secret (same fingerprint) in more than one file or on more than one host.
SELECT kind, principal, length(hosts) AS host_count, length(locations) AS location_count, arraySort(locations) AS locations
FROM nhi_inventory
WHERE fingerprint != '' AND (length(hosts) > 1 OR length(locations) > 1)
ORDER BY host_count DESC, location_count DESC, principal
