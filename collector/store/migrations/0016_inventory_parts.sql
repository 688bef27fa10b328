-- The inventory in two parts, each a view of its own, joined by
-- nhi_inventory as before: what each identity is (its merged states, its
-- latest use, its host-side age) and where the latest complete full scans
-- still list it. The analysis reads the two parts as concurrent queries
-- and joins them itself: on 18.16 one query builds its joins' right sides
-- one after the other on one thread, and the presence side took 1.5 of the
-- inventory's 4.1 s (packaging/bench/analytics.sh, 200,000 identities).
CREATE VIEW IF NOT EXISTS {{.DB}}.identity_facts {{.OnCluster}} AS
SELECT
    nhi_id, kind, principal, fingerprint, hosts, locations, accounts, file_owners, owner_hints,
    first_seen, last_seen, expires_at,
    greatest(id_last_used, p_last_used)                      AS last_used,
    if(id_last_used >= p_last_used, id_evidence, p_evidence) AS last_evidence,
    if(id_last_used >= p_last_used, id_source, p_source)     AS last_source,
    if(id_last_used >= p_last_used, id_actor, p_actor)       AS last_actor,
    created_at, modified_at
FROM (
    SELECT * FROM (
        SELECT * FROM (
            SELECT
                nhi_id,
                anyMerge(kind)                   AS kind,
                anyMerge(principal)              AS principal,
                anyMerge(fingerprint)            AS fingerprint,
                groupUniqArrayMerge(hosts)       AS hosts,
                groupUniqArrayMerge(locations)   AS locations,
                groupUniqArrayIfMerge(accounts)  AS accounts,
                groupUniqArrayIfMerge(file_owners) AS file_owners,
                groupUniqArrayArrayMerge(owner_hints) AS owner_hints,
                minMerge(first_seen)             AS first_seen,
                maxMerge(last_seen)              AS last_seen,
                maxMerge(expires_at)             AS expires_at
            FROM {{src "identity_state"}}
            GROUP BY nhi_id
        ) ANY LEFT JOIN (
            SELECT nhi_id, maxMerge(last_used) AS id_last_used, argMaxMerge(evidence) AS id_evidence,
                argMaxMerge(source) AS id_source, argMaxMerge(actor) AS id_actor
            FROM {{src "usage_state"}}
            WHERE nhi_id != ''
            GROUP BY nhi_id
        ) USING nhi_id
    ) ANY LEFT JOIN (
        SELECT principal, maxMerge(last_used) AS p_last_used, argMaxMerge(evidence) AS p_evidence,
            argMaxMerge(source) AS p_source, argMaxMerge(actor) AS p_actor
        FROM {{src "usage_state"}}
        WHERE principal != ''
        GROUP BY principal
    ) USING principal
) ANY LEFT JOIN (
    SELECT nhi_id, minIfMerge(created_at) AS created_at, minIfMerge(modified_at) AS modified_at
    FROM {{src "identity_age_state"}}
    GROUP BY nhi_id
) USING nhi_id;

-- still_present: an identity listed or seen, on some host, since that
-- host's latest complete full scan of the plugin started (or inside a
-- location that scan could not read); present_hosts: those hosts.
CREATE VIEW IF NOT EXISTS {{.DB}}.identity_presence {{.OnCluster}} AS
SELECT nhi_id, max(present) AS still_present, groupUniqArrayIf(host, present = 1) AS present_hosts
FROM (
    SELECT nhi_id, host,
        if(scan_started = toDateTime(0), 1,
            last_seen >= scan_started
            OR arrayExists((u, l) -> l = u OR startsWith(l, concat(u, '/')), unreadable, replicate(location, unreadable))) AS present
    FROM (
        SELECT * FROM (
            SELECT * FROM (
                SELECT host, plugin, nhi_id, max(at) AS last_seen
                FROM (
                    SELECT host, plugin, nhi_id, maxMerge(last_seen) AS at
                    FROM {{src "sighting_state"}}
                    GROUP BY host, plugin, nhi_id
                    UNION ALL
                    SELECT host, plugin, nhi_id, maxMerge(last_listed) AS at
                    FROM {{src "listing_state"}}
                    GROUP BY host, plugin, nhi_id
                )
                GROUP BY host, plugin, nhi_id
            ) ANY LEFT JOIN (
                SELECT host, plugin, max(started) AS scan_started, argMax(unreadable, started) AS unreadable
                FROM (
                    SELECT * FROM (
                        SELECT host, plugin, scan_id,
                            maxMerge(started_at) AS started, maxMerge(full) AS full, maxMerge(parts) AS parts,
                            length(groupUniqArrayMerge(parts_seen)) AS got
                        FROM {{src "scan_state"}}
                        GROUP BY host, plugin, scan_id
                    ) ANY LEFT JOIN (
                        SELECT host, plugin, scan_id, groupUniqArrayArrayMerge(unreadable) AS unreadable
                        FROM {{src "scan_unreadable_state"}}
                        GROUP BY host, plugin, scan_id
                    ) USING (host, plugin, scan_id)
                )
                WHERE full = 1 AND got >= parts
                GROUP BY host, plugin
            ) USING (host, plugin)
        ) ANY LEFT JOIN (
            SELECT host, nhi_id, groupUniqArray(location) AS host_locations
            FROM {{src "file_state"}}
            GROUP BY host, nhi_id
        ) USING (host, nhi_id)
    ) LEFT ARRAY JOIN host_locations AS location
)
GROUP BY nhi_id;

-- The inventory as in 0013_listing, from the two parts: the same columns,
-- and the host-side age beside them.
DROP TABLE IF EXISTS {{.DB}}.nhi_inventory {{.OnCluster}};

CREATE VIEW IF NOT EXISTS {{.DB}}.nhi_inventory {{.OnCluster}} AS
SELECT
    nhi_id, kind, principal, fingerprint, hosts, locations, accounts, file_owners, owner_hints,
    first_seen, last_seen, expires_at, still_present, present_hosts,
    last_used, last_evidence, last_source, last_actor, created_at, modified_at
FROM {{.DB}}.identity_facts
ANY LEFT JOIN (SELECT nhi_id, still_present, present_hosts FROM {{.DB}}.identity_presence) USING nhi_id;
