-- The accounts plugin's latest attrs (uid, groups, sudo rules and whether
-- they need no password, account_attr_state) of each OS service account
-- location that location_flag_state ever flagged as privileged, and of the
-- identities with a stored finding (the external table stored; ? = 1
-- returns every service account), which need current attrs to resolve with.
SELECT host, nhi_id, location, attr_keys, attr_values
FROM (
    SELECT host, nhi_id, location, argMaxMerge(attr_keys) AS attr_keys, argMaxMerge(attr_values) AS attr_values
    FROM {account_attr_state}
    WHERE (host, nhi_id, location) GLOBAL IN (
            SELECT host, nhi_id, location FROM {location_flag_state} WHERE flag = 'privileged')
        OR nhi_id IN (SELECT nhi_id FROM stored)
        OR ? = 1
    GROUP BY host, nhi_id, location
)
WHERE has(attr_keys, 'uid')
