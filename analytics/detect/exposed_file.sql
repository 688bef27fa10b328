-- The latest mode of every file that holds an identity, per host, and when
-- that location was last seen (the Go side drops locations the latest scan
-- of the host no longer saw).
SELECT host, nhi_id, location, argMaxMerge(file_mode) AS mode, maxMerge(last_seen) AS seen
FROM {file_state}
GROUP BY host, nhi_id, location
ORDER BY host, nhi_id, location
