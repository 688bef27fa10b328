-- Every file that holds an identity, per host: its latest mode, owner and
-- the account it belongs to, and when that location was last seen (the Go
-- side drops locations the latest scan of the host no longer saw and
-- decides). Only the identities and hosts that may call for it come back:
-- those with a file readable by group or others (the group or others digit
-- of the mode is 4 to 7) or owned by another account than its own, and
-- those with a stored finding (the external table stored; ? = 1 returns all),
-- which need the current modes to resolve with.
SELECT host, nhi_id, location, mode, owner, belongs_to, seen
FROM (
    SELECT host, nhi_id, groupArray(location) AS locations, groupArray(mode) AS modes,
        groupArray(owner) AS owners, groupArray(belongs) AS belongs, groupArray(seen_at) AS seens
    FROM (
        SELECT host, nhi_id, location, argMaxMerge(file_mode) AS mode, argMaxMerge(file_owner) AS owner,
            argMaxMerge(account) AS belongs, maxMerge(last_seen) AS seen_at
        FROM {file_meta_state}
        GROUP BY host, nhi_id, location
    )
    GROUP BY host, nhi_id
)
ARRAY JOIN locations AS location, modes AS mode, owners AS owner, belongs AS belongs_to, seens AS seen
WHERE ? = 1 OR nhi_id IN (SELECT nhi_id FROM stored)
    OR arrayExists((m, o, b) -> match(m, '[4-7].?$') OR (o != '' AND b != '' AND o != b AND o != 'root'), modes, owners, belongs)
ORDER BY host, nhi_id, location
