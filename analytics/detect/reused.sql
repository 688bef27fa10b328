-- Secrets (identities keyed by their fingerprint, so one secret anywhere is
-- one identity) still present on more than one host. A policy cannot allow
-- fewer than one host, so nothing on one host is ever reused.
SELECT nhi_id, arraySort(present_hosts) AS hosts
FROM {nhi_inventory}
WHERE fingerprint != '' AND still_present = 1 AND length(present_hosts) > 1
ORDER BY nhi_id
