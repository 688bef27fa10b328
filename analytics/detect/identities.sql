-- What each identity is: its merged states, its latest use and its
-- host-side age, one row per identity (identity_facts).
SELECT nhi_id, kind, principal, fingerprint != '' AS secret, arraySort(hosts), arraySort(locations), arraySort(accounts),
    arraySort(file_owners), arraySort(owner_hints), first_seen, expires_at,
    last_used, last_evidence, last_source, created_at, modified_at
FROM {identity_facts}
