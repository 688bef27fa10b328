-- The inventory with the host's own age evidence: one row per identity.
-- 18.16 allows one JOIN per SELECT, hence the nesting.
SELECT nhi_id, kind, principal, fingerprint, arraySort(hosts), arraySort(locations), arraySort(accounts),
    arraySort(file_owners), arraySort(owner_hints), first_seen, expires_at, still_present,
    arraySort(present_hosts), last_used, last_evidence, last_source, created_at, modified_at
FROM (
    SELECT nhi_id, kind, principal, fingerprint, hosts, locations, accounts, file_owners, owner_hints,
        first_seen, expires_at, still_present, present_hosts, last_used, last_evidence, last_source
    FROM {nhi_inventory}
) ANY LEFT JOIN (
    SELECT nhi_id, minIfMerge(created_at) AS created_at, minIfMerge(modified_at) AS modified_at
    FROM {identity_age_state}
    GROUP BY nhi_id
) USING nhi_id
ORDER BY nhi_id
