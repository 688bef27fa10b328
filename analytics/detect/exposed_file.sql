-- The latest mode of every file that holds an identity, per host.
SELECT host, nhi_id, location, file_mode
FROM (
    SELECT host, nhi_id, location, argMaxMerge(file_mode) AS file_mode
    FROM {file_state}
    GROUP BY host, nhi_id, location
)
WHERE file_mode != ''
ORDER BY host, nhi_id, location
