-- Every file that holds an identity, per host: its latest mode, owner and
-- the account it belongs to, and when that location was last seen (the Go
-- side drops locations the latest scan of the host no longer saw).
SELECT host, nhi_id, location, argMaxMerge(file_mode) AS mode, argMaxMerge(file_owner) AS owner,
    argMaxMerge(account) AS belongs_to, maxMerge(last_seen) AS seen
FROM {file_meta_state}
GROUP BY host, nhi_id, location
ORDER BY host, nhi_id, location
