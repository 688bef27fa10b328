{{define "scan_unreadable_state"}}SELECT
    host, CAST(plugin AS String) AS plugin, scan_id,
    groupUniqArrayArrayState(scan_unreadable) AS unreadable
FROM {{.DB}}.events
WHERE type = 'scan_completed' AND notEmpty(scan_unreadable)
GROUP BY host, plugin, scan_id{{end}}
-- What a scan could not read (scan.unreadable): an identity seen before at
-- or under such a path is still present, whether or not the scan listed
-- it, so that a FIFO or an unreadable file never reads as a removal.
ALTER TABLE {{.DB}}.events {{.OnCluster}} ADD COLUMN scan_unreadable Array(String) AFTER scan_errors;
{{if .Cluster}}-- A Distributed table cannot be altered ON CLUSTER where the shards
-- replicate (18.16): it holds no rows of its own, so it is made again.
DROP TABLE IF EXISTS {{.DB}}.events_all {{.OnCluster}};
{{end}}{{dist "events" "cityHash64(event_id)"}}
CREATE TABLE IF NOT EXISTS {{.DB}}.scan_unreadable_state {{.OnCluster}} (
    host       String,
    plugin     String,
    scan_id    String,
    unreadable AggregateFunction(groupUniqArrayArray, Array(String))
) ENGINE = {{engine "AggregatingMergeTree" "scan_unreadable_state" ""}}
ORDER BY (host, plugin, scan_id);

CREATE MATERIALIZED VIEW IF NOT EXISTS {{.DB}}.scan_unreadable_state_mv {{.OnCluster}} TO {{.DB}}.scan_unreadable_state AS
{{template "scan_unreadable_state" .}};
{{dist "scan_unreadable_state" "cityHash64(host)"}}
-- The inventory as in 0003_identities, with one change: still_present also
-- holds where a location of the identity on the host is at or under a path
-- the latest complete scan could not read. (18.16's lambdas see only
-- their arguments, hence one row per location and replicate.)
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
                        has(seen, nhi_id) OR last_seen >= scan_started
                        OR arrayExists((u, l) -> l = u OR startsWith(l, concat(u, '/')), unreadable, replicate(location, unreadable))) AS present
                FROM (
                    SELECT * FROM (
                        SELECT * FROM (
                            SELECT host, plugin, nhi_id, maxMerge(last_seen) AS last_seen
                            FROM {{src "sighting_state"}}
                            GROUP BY host, plugin, nhi_id
                        ) ANY LEFT JOIN (
                            SELECT host, plugin, max(started) AS scan_started, argMax(seen, started) AS seen,
                                argMax(unreadable, started) AS unreadable
                            FROM (
                                SELECT * FROM (
                                    SELECT host, plugin, scan_id,
                                        maxMerge(started_at) AS started, maxMerge(full) AS full, maxMerge(parts) AS parts,
                                        length(groupUniqArrayMerge(parts_seen)) AS got, groupUniqArrayArrayMerge(seen) AS seen
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
