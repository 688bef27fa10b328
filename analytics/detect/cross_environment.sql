-- Secrets present on more than one host: the Go side maps each host to
-- its environment (policy environments) and fires where they differ.
SELECT nhi_id, arraySort(present_hosts) AS hosts
FROM {nhi_inventory}
WHERE fingerprint != '' AND still_present = 1 AND length(present_hosts) > 1
ORDER BY nhi_id
