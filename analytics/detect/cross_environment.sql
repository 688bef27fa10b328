-- Secrets ever seen on more than one host: the Go side keeps the hosts
-- the inventory still shows them present on, maps each to its environment
-- (policy environments) and fires where they differ.
SELECT nhi_id, arraySort(hosts) AS hosts
FROM (
    SELECT nhi_id, anyMerge(fingerprint) AS fingerprint, groupUniqArrayMerge(hosts) AS hosts
    FROM {identity_state}
    GROUP BY nhi_id
)
WHERE fingerprint != '' AND length(hosts) > 1
ORDER BY nhi_id
