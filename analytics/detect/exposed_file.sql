-- The latest mode of every file that holds an identity, per host. A
-- location last seen more than an hour before the identity's newest
-- sighting on that host was not in the latest scan (one scan observes all
-- of a host's locations within minutes): the file is gone and does not count.
SELECT host, nhi_id, location, file_mode
FROM (
    SELECT host, nhi_id, location, argMaxMerge(file_mode) AS file_mode, maxMerge(last_seen) AS seen
    FROM {file_state}
    GROUP BY host, nhi_id, location
) ANY INNER JOIN (
    SELECT host, nhi_id, max(seen) AS newest
    FROM (
        SELECT host, nhi_id, location, maxMerge(last_seen) AS seen
        FROM {file_state}
        GROUP BY host, nhi_id, location
    )
    GROUP BY host, nhi_id
) USING (host, nhi_id)
WHERE file_mode != '' AND seen >= newest - 3600
ORDER BY host, nhi_id, location
