-- Every file that holds an identity, per host: its latest mode, owner and
-- the account it belongs to, and when that location was last seen (the Go
-- side drops locations the latest scan of the host no longer saw and
-- decides). Only the identities and hosts that may call for it come back:
-- those with a file location_flag_state ever flagged as exposed (readable
-- by group or others, or owned by another account than its own), and
-- those with a stored finding (the external table stored; ? = 1 returns
-- all), which need the current modes to resolve with. Every location of
-- such an identity on such a host comes back: which are current is
-- decided against the newest. Unordered: the Go side sorts them faster
-- than the server's ORDER BY.
SELECT host, nhi_id, location, argMaxMerge(file_mode) AS mode, argMaxMerge(file_owner) AS owner,
    argMaxMerge(account) AS belongs_to, maxMerge(last_seen) AS seen
FROM {file_meta_state}
WHERE (host, nhi_id) GLOBAL IN (SELECT host, nhi_id FROM {location_flag_state} WHERE flag = 'exposed')
    OR nhi_id IN (SELECT nhi_id FROM stored)
    OR ? = 1
GROUP BY host, nhi_id, location
