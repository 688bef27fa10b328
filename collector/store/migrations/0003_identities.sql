{{define "identity_state"}}SELECT
    nhi_id,
    anyState(CAST(kind AS String))                   AS kind,
    anyState(principal)                              AS principal,
    anyState(fingerprint)                            AS fingerprint,
    groupUniqArrayState(host)                        AS hosts,
    groupUniqArrayState(location)                    AS locations,
    groupUniqArrayIfState(account, account != '')    AS accounts,
    groupUniqArrayIfState(file_owner, file_owner != '') AS file_owners,
    groupUniqArrayArrayState(owner_hints)            AS owner_hints,
    minState(time)                                   AS first_seen,
    maxState(time)                                   AS last_seen,
    maxState(expires_at)                             AS expires_at
FROM {{.DB}}.events
WHERE type = 'nhi_observed'
GROUP BY nhi_id{{end}}
{{define "sighting_state"}}SELECT host, CAST(plugin AS String) AS plugin, nhi_id, maxState(time) AS last_seen
FROM {{.DB}}.events
WHERE type = 'nhi_observed'
GROUP BY host, plugin, nhi_id{{end}}
{{define "scan_state"}}SELECT
    host, CAST(plugin AS String) AS plugin, scan_id,
    maxState(scan_started_at)          AS started_at,
    maxState(scan_full)                AS full,
    maxState(scan_parts)               AS parts,
    groupUniqArrayState(scan_part)     AS parts_seen,
    groupUniqArrayArrayState(scan_seen) AS seen
FROM {{.DB}}.events
WHERE type = 'scan_completed'
GROUP BY host, plugin, scan_id{{end}}
{{define "usage_state"}}SELECT
    nhi_id, principal,
    maxState(used_at)                                   AS last_used,
    argMaxState(CAST(evidence AS String), used_at)      AS evidence,
    argMaxState(source, used_at)                        AS source,
    argMaxState(actor, used_at)                         AS actor,
    groupUniqArrayState(host)                           AS hosts
FROM {{.DB}}.events
WHERE type = 'usage_evidence'
GROUP BY nhi_id, principal{{end}}
-- Per-identity state, kept up to date by materialized views on events.
-- Every aggregate here is idempotent (any, min, max, argMax, groupUniqArray):
-- an event that Kafka delivers twice changes no result, so the inventory
-- needs neither FINAL nor a GROUP BY event_id. Columns that are
-- LowCardinality in events are CAST to String so that the state types are
-- the same on every server version.
DROP TABLE IF EXISTS {{.DB}}.nhi_inventory {{.OnCluster}};

{{dist "events" "cityHash64(event_id)"}}
CREATE TABLE IF NOT EXISTS {{.DB}}.identity_state {{.OnCluster}} (
    nhi_id      String,
    kind        AggregateFunction(any, String),
    principal   AggregateFunction(any, String),
    fingerprint AggregateFunction(any, String),
    hosts       AggregateFunction(groupUniqArray, String),
    locations   AggregateFunction(groupUniqArray, String),
    accounts    AggregateFunction(groupUniqArrayIf, String, UInt8),
    file_owners AggregateFunction(groupUniqArrayIf, String, UInt8),
    owner_hints AggregateFunction(groupUniqArrayArray, Array(String)),
    first_seen  AggregateFunction(min, DateTime),
    last_seen   AggregateFunction(max, DateTime),
    expires_at  AggregateFunction(max, DateTime)
) ENGINE = {{engine "AggregatingMergeTree" "identity_state" ""}}
ORDER BY nhi_id;

CREATE MATERIALIZED VIEW IF NOT EXISTS {{.DB}}.identity_state_mv {{.OnCluster}} TO {{.DB}}.identity_state AS
{{template "identity_state" .}};
{{dist "identity_state" "cityHash64(nhi_id)"}}{{if not .Cluster}}
-- Backfill from events stored before the view existed (harmless to repeat).
INSERT INTO {{.DB}}.identity_state {{template "identity_state" .}};
{{end}}

-- Where each identity was seen by which plugin, for "still present".
CREATE TABLE IF NOT EXISTS {{.DB}}.sighting_state {{.OnCluster}} (
    host      String,
    plugin    String,
    nhi_id    String,
    last_seen AggregateFunction(max, DateTime)
) ENGINE = {{engine "AggregatingMergeTree" "sighting_state" ""}}
ORDER BY (host, plugin, nhi_id);

CREATE MATERIALIZED VIEW IF NOT EXISTS {{.DB}}.sighting_state_mv {{.OnCluster}} TO {{.DB}}.sighting_state AS
{{template "sighting_state" .}};
{{dist "sighting_state" "cityHash64(host)"}}{{if not .Cluster}}
-- Backfill from events stored before the view existed (harmless to repeat).
INSERT INTO {{.DB}}.sighting_state {{template "sighting_state" .}};
{{end}}

-- Completed scans: one row per host, plugin and scan, its parts merged.
CREATE TABLE IF NOT EXISTS {{.DB}}.scan_state {{.OnCluster}} (
    host       String,
    plugin     String,
    scan_id    String,
    started_at AggregateFunction(max, DateTime),
    full       AggregateFunction(max, UInt8),
    parts      AggregateFunction(max, UInt16),
    parts_seen AggregateFunction(groupUniqArray, UInt16),
    seen       AggregateFunction(groupUniqArrayArray, Array(String))
) ENGINE = {{engine "AggregatingMergeTree" "scan_state" ""}}
ORDER BY (host, plugin, scan_id);

CREATE MATERIALIZED VIEW IF NOT EXISTS {{.DB}}.scan_state_mv {{.OnCluster}} TO {{.DB}}.scan_state AS
{{template "scan_state" .}};
{{dist "scan_state" "cityHash64(host)"}}{{if not .Cluster}}
-- Backfill from events stored before the view existed (harmless to repeat).
INSERT INTO {{.DB}}.scan_state {{template "scan_state" .}};
{{end}}

-- Usage evidence by identity key (when the event names one or the collector
-- could derive it) and by principal.
CREATE TABLE IF NOT EXISTS {{.DB}}.usage_state {{.OnCluster}} (
    nhi_id     String,
    principal  String,
    last_used  AggregateFunction(max, DateTime),
    evidence   AggregateFunction(argMax, String, DateTime),
    source     AggregateFunction(argMax, String, DateTime),
    actor      AggregateFunction(argMax, String, DateTime),
    hosts      AggregateFunction(groupUniqArray, String)
) ENGINE = {{engine "AggregatingMergeTree" "usage_state" ""}}
ORDER BY (nhi_id, principal);

CREATE MATERIALIZED VIEW IF NOT EXISTS {{.DB}}.usage_state_mv {{.OnCluster}} TO {{.DB}}.usage_state AS
{{template "usage_state" .}};
{{dist "usage_state" "cityHash64(nhi_id, principal)"}}{{if not .Cluster}}
-- Backfill from events stored before the view existed (harmless to repeat).
INSERT INTO {{.DB}}.usage_state {{template "usage_state" .}};
{{end}}

-- One row per identity. still_present: the identity was listed by (or seen
-- since the start of) the latest complete full scan of at least one host and
-- plugin that observed it; where no scan_completed event has arrived yet it
-- counts as present. Usage evidence joins by identity key, then by principal.
-- 18.16 allows one JOIN per SELECT, hence the nesting.
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
                    if(scan_started = toDateTime(0), 1, has(seen, nhi_id) OR last_seen >= scan_started) AS present
                FROM (
                    SELECT host, plugin, nhi_id, maxMerge(last_seen) AS last_seen
                    FROM {{src "sighting_state"}}
                    GROUP BY host, plugin, nhi_id
                ) ANY LEFT JOIN (
                    SELECT host, plugin, max(started) AS scan_started, argMax(seen, started) AS seen
                    FROM (
                        SELECT host, plugin, scan_id,
                            maxMerge(started_at) AS started, maxMerge(full) AS full, maxMerge(parts) AS parts,
                            length(groupUniqArrayMerge(parts_seen)) AS got, groupUniqArrayArrayMerge(seen) AS seen
                        FROM {{src "scan_state"}}
                        GROUP BY host, plugin, scan_id
                    )
                    WHERE full = 1 AND got >= parts
                    GROUP BY host, plugin
                ) USING (host, plugin)
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
