-- The accounts plugin's latest attrs of each OS service account (uid,
-- groups, sudo rules and whether they need no password), per host; the
-- external table accounts lists the inventory's service accounts.
SELECT host, nhi_id, location, attr_keys, attr_values
FROM (
    SELECT host, nhi_id, location, argMaxMerge(attr_keys) AS attr_keys, argMaxMerge(attr_values) AS attr_values
    FROM {attr_state}
    WHERE nhi_id IN (SELECT nhi_id FROM accounts)
    GROUP BY host, nhi_id, location
)
WHERE has(attr_keys, 'uid')
ORDER BY host, nhi_id, location
