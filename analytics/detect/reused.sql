-- Secrets (identities keyed by their fingerprint, so one secret anywhere is
-- one identity) ever seen on more than one host, straight from
-- identity_state: the Go side keeps only the hosts the inventory still
-- shows it present on. A policy cannot allow fewer than one host, so a
-- secret on one host is never reused.
SELECT nhi_id, arraySort(hosts) AS hosts
FROM (
    SELECT nhi_id, anyMerge(fingerprint) AS fingerprint, groupUniqArrayMerge(hosts) AS hosts
    FROM {identity_state}
    GROUP BY nhi_id
)
WHERE fingerprint != '' AND length(hosts) > 1
ORDER BY nhi_id
