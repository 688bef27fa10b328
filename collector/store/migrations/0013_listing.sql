{{define "listing_state"}}SELECT host, CAST(plugin AS String) AS plugin, listed AS nhi_id, maxState(scan_started_at) AS last_listed
FROM {{.DB}}.events
ARRAY JOIN scan_seen AS listed
WHERE type = 'scan_completed'
GROUP BY host, plugin, listed{{end}}
-- When each identity was last listed by a scan of each host and plugin
-- (scan.seen), one row per listing rather than one array per scan: the
-- inventory asks whether an identity is listed by the latest complete
-- scan, and merging every scan's seen array to answer it took most of the
-- inventory's time on a fleet of 5,000 hosts (packaging/bench/analytics.sh).
-- An identity listed in a scan that started at or after the latest
-- complete full scan started was seen by it, as one observed since then.
CREATE TABLE IF NOT EXISTS {{.DB}}.listing_state {{.OnCluster}} (
    host        String,
    plugin      String,
    nhi_id      String,
    last_listed AggregateFunction(max, DateTime)
) ENGINE = {{engine "AggregatingMergeTree" "listing_state" ""}}
ORDER BY (host, plugin, nhi_id);

CREATE MATERIALIZED VIEW IF NOT EXISTS {{.DB}}.listing_state_mv {{.OnCluster}} TO {{.DB}}.listing_state AS
{{template "listing_state" .}};
{{dist "listing_state" "cityHash64(host)"}}{{if not .Cluster}}
INSERT INTO {{.DB}}.listing_state {{template "listing_state" .}};
{{end}}
-- The inventory as in 0006_unreadable, still_present read from the
-- listings above instead of every scan's seen array.
DROP TABLE IF EXISTS {{.DB}}.nhi_inventory {{.OnCluster}};

CREATE VIEW IF NOT EXISTS {{.DB}}.nhi_inventory {{.OnCluster}} AS
SELECT
    nhi_id, kind, principal, fingerprint, hosts, locations, accounts, file_owners, owner_hints,
    first_seen, last_seen, expires_at, still_present, present_hosts,
    greatest(id_last_used, p_last_used)                  AS last_used,
    if(id_last_used >= p_last_used, id_evidence, p_evidence) AS last_evidence,
    if(id_last_used >= p_last_used, id_source, p_source)     AS last_source,
    if(id_last_used >= p_last_used, id_actor, p_actor)       AS last_actor
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
            GROUP BY nhi_id
        ) USING nhi_id
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
) USING principal;
