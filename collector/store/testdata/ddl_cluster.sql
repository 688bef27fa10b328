-- 0001_events
CREATE TABLE IF NOT EXISTS nhi.events ON CLUSTER nhi_cluster (
    event_id        String,
    type            LowCardinality(String),
    schema_version  UInt8,
    agent_id        String,
    host            String,
    time            DateTime,
    plugin          LowCardinality(String),
    scan_id         String,
    nhi_id          String,
    kind            LowCardinality(String),
    principal       String,
    fingerprint     String,
    location        String,
    key             String,
    file_owner      String,
    file_mode       String,
    account         String,
    modified_at     DateTime,
    created_at      DateTime,
    expires_at      DateTime,
    owner_hints     Array(String),
    attr_keys       Array(String),
    attr_values     Array(String),
    evidence        LowCardinality(String),
    source          String,
    used_at         DateTime,
    actor           String,
    scan_full       UInt8,
    scan_started_at DateTime,
    scan_seen       Array(String),
    scan_part       UInt16,
    scan_parts      UInt16,
    scan_errors     UInt32,
    heartbeat       String,
    ingested_at     DateTime DEFAULT now()
) ENGINE = ReplicatedReplacingMergeTree('/clickhouse/tables/{shard}/nhi/events', '{replica}')
PARTITION BY toYYYYMM(time)
ORDER BY (type, host, event_id)
TTL time + INTERVAL 90 DAY;

-- 0002_inventory
CREATE VIEW IF NOT EXISTS nhi.nhi_inventory ON CLUSTER nhi_cluster AS
SELECT
    nhi_id,
    any(kind)                  AS kind,
    any(principal)             AS principal,
    any(fingerprint)           AS fingerprint,
    groupUniqArray(host)       AS hosts,
    groupUniqArray(location)   AS locations,
    groupUniqArrayIf(account, account != '') AS accounts,
    min(time)                  AS first_seen,
    max(time)                  AS last_seen,
    max(expires_at)            AS expires_at
FROM nhi.events
WHERE type = 'nhi_observed'
GROUP BY nhi_id;

-- 0003_identities
DROP TABLE IF EXISTS nhi.nhi_inventory ON CLUSTER nhi_cluster;

-- 0003_identities
CREATE TABLE IF NOT EXISTS nhi.events_all ON CLUSTER nhi_cluster AS nhi.events
ENGINE = Distributed(nhi_cluster, nhi, events, cityHash64(event_id));

-- 0003_identities
CREATE TABLE IF NOT EXISTS nhi.identity_state ON CLUSTER nhi_cluster (
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
) ENGINE = ReplicatedAggregatingMergeTree('/clickhouse/tables/{shard}/nhi/identity_state', '{replica}')
ORDER BY nhi_id;

-- 0003_identities
CREATE MATERIALIZED VIEW IF NOT EXISTS nhi.identity_state_mv ON CLUSTER nhi_cluster TO nhi.identity_state AS
SELECT
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
FROM nhi.events
WHERE type = 'nhi_observed'
GROUP BY nhi_id;

-- 0003_identities
CREATE TABLE IF NOT EXISTS nhi.identity_state_all ON CLUSTER nhi_cluster AS nhi.identity_state
ENGINE = Distributed(nhi_cluster, nhi, identity_state, cityHash64(nhi_id));

-- 0003_identities
CREATE TABLE IF NOT EXISTS nhi.sighting_state ON CLUSTER nhi_cluster (
    host      String,
    plugin    String,
    nhi_id    String,
    last_seen AggregateFunction(max, DateTime)
) ENGINE = ReplicatedAggregatingMergeTree('/clickhouse/tables/{shard}/nhi/sighting_state', '{replica}')
ORDER BY (host, plugin, nhi_id);

-- 0003_identities
CREATE MATERIALIZED VIEW IF NOT EXISTS nhi.sighting_state_mv ON CLUSTER nhi_cluster TO nhi.sighting_state AS
SELECT host, CAST(plugin AS String) AS plugin, nhi_id, maxState(time) AS last_seen
FROM nhi.events
WHERE type = 'nhi_observed'
GROUP BY host, plugin, nhi_id;

-- 0003_identities
CREATE TABLE IF NOT EXISTS nhi.sighting_state_all ON CLUSTER nhi_cluster AS nhi.sighting_state
ENGINE = Distributed(nhi_cluster, nhi, sighting_state, cityHash64(host));

-- 0003_identities
CREATE TABLE IF NOT EXISTS nhi.scan_state ON CLUSTER nhi_cluster (
    host       String,
    plugin     String,
    scan_id    String,
    started_at AggregateFunction(max, DateTime),
    full       AggregateFunction(max, UInt8),
    parts      AggregateFunction(max, UInt16),
    parts_seen AggregateFunction(groupUniqArray, UInt16),
    seen       AggregateFunction(groupUniqArrayArray, Array(String))
) ENGINE = ReplicatedAggregatingMergeTree('/clickhouse/tables/{shard}/nhi/scan_state', '{replica}')
ORDER BY (host, plugin, scan_id);

-- 0003_identities
CREATE MATERIALIZED VIEW IF NOT EXISTS nhi.scan_state_mv ON CLUSTER nhi_cluster TO nhi.scan_state AS
SELECT
    host, CAST(plugin AS String) AS plugin, scan_id,
    maxState(scan_started_at)          AS started_at,
    maxState(scan_full)                AS full,
    maxState(scan_parts)               AS parts,
    groupUniqArrayState(scan_part)     AS parts_seen,
    groupUniqArrayArrayState(scan_seen) AS seen
FROM nhi.events
WHERE type = 'scan_completed'
GROUP BY host, plugin, scan_id;

-- 0003_identities
CREATE TABLE IF NOT EXISTS nhi.scan_state_all ON CLUSTER nhi_cluster AS nhi.scan_state
ENGINE = Distributed(nhi_cluster, nhi, scan_state, cityHash64(host));

-- 0003_identities
CREATE TABLE IF NOT EXISTS nhi.usage_state ON CLUSTER nhi_cluster (
    nhi_id     String,
    principal  String,
    last_used  AggregateFunction(max, DateTime),
    evidence   AggregateFunction(argMax, String, DateTime),
    source     AggregateFunction(argMax, String, DateTime),
    actor      AggregateFunction(argMax, String, DateTime),
    hosts      AggregateFunction(groupUniqArray, String)
) ENGINE = ReplicatedAggregatingMergeTree('/clickhouse/tables/{shard}/nhi/usage_state', '{replica}')
ORDER BY (nhi_id, principal);

-- 0003_identities
CREATE MATERIALIZED VIEW IF NOT EXISTS nhi.usage_state_mv ON CLUSTER nhi_cluster TO nhi.usage_state AS
SELECT
    nhi_id, principal,
    maxState(used_at)                                   AS last_used,
    argMaxState(CAST(evidence AS String), used_at)      AS evidence,
    argMaxState(source, used_at)                        AS source,
    argMaxState(actor, used_at)                         AS actor,
    groupUniqArrayState(host)                           AS hosts
FROM nhi.events
WHERE type = 'usage_evidence'
GROUP BY nhi_id, principal;

-- 0003_identities
CREATE TABLE IF NOT EXISTS nhi.usage_state_all ON CLUSTER nhi_cluster AS nhi.usage_state
ENGINE = Distributed(nhi_cluster, nhi, usage_state, cityHash64(nhi_id, principal));

-- 0003_identities
CREATE VIEW IF NOT EXISTS nhi.nhi_inventory ON CLUSTER nhi_cluster AS
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
            FROM nhi.identity_state_all
            GROUP BY nhi_id
        ) ANY LEFT JOIN (
            SELECT nhi_id, max(present) AS still_present, groupUniqArrayIf(host, present = 1) AS present_hosts
            FROM (
                SELECT nhi_id, host,
                    if(scan_started = toDateTime(0), 1, has(seen, nhi_id) OR last_seen >= scan_started) AS present
                FROM (
                    SELECT host, plugin, nhi_id, maxMerge(last_seen) AS last_seen
                    FROM nhi.sighting_state_all
                    GROUP BY host, plugin, nhi_id
                ) ANY LEFT JOIN (
                    SELECT host, plugin, max(started) AS scan_started, argMax(seen, started) AS seen
                    FROM (
                        SELECT host, plugin, scan_id,
                            maxMerge(started_at) AS started, maxMerge(full) AS full, maxMerge(parts) AS parts,
                            length(groupUniqArrayMerge(parts_seen)) AS got, groupUniqArrayArrayMerge(seen) AS seen
                        FROM nhi.scan_state_all
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
        FROM nhi.usage_state_all
        WHERE nhi_id != ''
        GROUP BY nhi_id
    ) USING nhi_id
) ANY LEFT JOIN (
    SELECT principal, maxMerge(last_used) AS p_last_used, argMaxMerge(evidence) AS p_evidence,
        argMaxMerge(source) AS p_source, argMaxMerge(actor) AS p_actor
    FROM nhi.usage_state_all
    WHERE principal != ''
    GROUP BY principal
) USING principal;

-- 0004_agents
CREATE TABLE IF NOT EXISTS nhi.agent_state ON CLUSTER nhi_cluster (
    agent_id    String,
    host        AggregateFunction(argMax, String, DateTime),
    first_seen  AggregateFunction(min, DateTime),
    last_seen   AggregateFunction(max, DateTime),
    version     AggregateFunction(argMax, String, DateTime),
    os          AggregateFunction(argMax, String, DateTime),
    spool_depth AggregateFunction(argMax, Int64, DateTime),
    spool_bytes AggregateFunction(argMax, Int64, DateTime),
    dropped     AggregateFunction(argMax, Int64, DateTime),
    cpu_percent AggregateFunction(argMax, Float64, DateTime),
    rss_bytes   AggregateFunction(argMax, Int64, DateTime)
) ENGINE = ReplicatedAggregatingMergeTree('/clickhouse/tables/{shard}/nhi/agent_state', '{replica}')
ORDER BY agent_id;

-- 0004_agents
CREATE MATERIALIZED VIEW IF NOT EXISTS nhi.agent_state_mv ON CLUSTER nhi_cluster TO nhi.agent_state AS
SELECT
    agent_id,
    argMaxState(host, time)                                              AS host,
    minState(time)                                                       AS first_seen,
    maxState(time)                                                       AS last_seen,
    argMaxState(visitParamExtractString(heartbeat, 'version'), time)     AS version,
    argMaxState(visitParamExtractString(heartbeat, 'os'), time)          AS os,
    argMaxState(visitParamExtractInt(heartbeat, 'spool_depth'), time)    AS spool_depth,
    argMaxState(visitParamExtractInt(heartbeat, 'spool_bytes'), time)    AS spool_bytes,
    argMaxState(visitParamExtractInt(heartbeat, 'dropped'), time)        AS dropped,
    argMaxState(visitParamExtractFloat(heartbeat, 'cpu_percent'), time)  AS cpu_percent,
    argMaxState(visitParamExtractInt(heartbeat, 'rss_bytes'), time)      AS rss_bytes
FROM nhi.events
WHERE type = 'agent_heartbeat'
GROUP BY agent_id;

-- 0004_agents
CREATE TABLE IF NOT EXISTS nhi.agent_state_all ON CLUSTER nhi_cluster AS nhi.agent_state
ENGINE = Distributed(nhi_cluster, nhi, agent_state, cityHash64(agent_id));

-- 0004_agents
CREATE VIEW IF NOT EXISTS nhi.agents ON CLUSTER nhi_cluster AS
SELECT
    agent_id,
    argMaxMerge(host)        AS host,
    minMerge(first_seen)     AS first_seen,
    maxMerge(last_seen)      AS last_seen,
    argMaxMerge(version)     AS version,
    argMaxMerge(os)          AS os,
    argMaxMerge(spool_depth) AS spool_depth,
    argMaxMerge(spool_bytes) AS spool_bytes,
    argMaxMerge(dropped)     AS dropped,
    argMaxMerge(cpu_percent) AS cpu_percent,
    argMaxMerge(rss_bytes)   AS rss_bytes
FROM nhi.agent_state_all
GROUP BY agent_id;

-- 0005_findings
CREATE TABLE IF NOT EXISTS nhi.identity_age_state ON CLUSTER nhi_cluster (
    nhi_id      String,
    created_at  AggregateFunction(minIf, DateTime, UInt8),
    modified_at AggregateFunction(minIf, DateTime, UInt8)
) ENGINE = ReplicatedAggregatingMergeTree('/clickhouse/tables/{shard}/nhi/identity_age_state', '{replica}')
ORDER BY nhi_id;

-- 0005_findings
CREATE MATERIALIZED VIEW IF NOT EXISTS nhi.identity_age_state_mv ON CLUSTER nhi_cluster TO nhi.identity_age_state AS
SELECT
    nhi_id,
    minIfState(created_at, created_at > toDateTime(0))   AS created_at,
    minIfState(modified_at, modified_at > toDateTime(0)) AS modified_at
FROM nhi.events
WHERE type = 'nhi_observed'
GROUP BY nhi_id;

-- 0005_findings
CREATE TABLE IF NOT EXISTS nhi.identity_age_state_all ON CLUSTER nhi_cluster AS nhi.identity_age_state
ENGINE = Distributed(nhi_cluster, nhi, identity_age_state, cityHash64(nhi_id));

-- 0005_findings
CREATE TABLE IF NOT EXISTS nhi.file_state ON CLUSTER nhi_cluster (
    host      String,
    nhi_id    String,
    location  String,
    file_mode AggregateFunction(argMax, String, DateTime),
    last_seen AggregateFunction(max, DateTime)
) ENGINE = ReplicatedAggregatingMergeTree('/clickhouse/tables/{shard}/nhi/file_state', '{replica}')
ORDER BY (host, nhi_id, location);

-- 0005_findings
CREATE MATERIALIZED VIEW IF NOT EXISTS nhi.file_state_mv ON CLUSTER nhi_cluster TO nhi.file_state AS
SELECT
    host, nhi_id, location,
    argMaxState(file_mode, time) AS file_mode,
    maxState(time)               AS last_seen
FROM nhi.events
WHERE type = 'nhi_observed' AND location != ''
GROUP BY host, nhi_id, location;

-- 0005_findings
CREATE TABLE IF NOT EXISTS nhi.file_state_all ON CLUSTER nhi_cluster AS nhi.file_state
ENGINE = Distributed(nhi_cluster, nhi, file_state, cityHash64(host));

-- 0005_findings
CREATE TABLE IF NOT EXISTS nhi.findings ON CLUSTER nhi_cluster (
    finding_id     String,
    version        UInt64,
    rule           String,
    severity       String,
    state          String,
    nhi_id         String,
    kind           String,
    principal      String,
    hosts          Array(String),
    locations      Array(String),
    owner          String,
    owner_status   String,
    first_detected DateTime,
    last_detected  DateTime,
    resolved_at    DateTime,
    evidence       Array(String),
    controls       Array(String),
    policy         String
) ENGINE = ReplicatedReplacingMergeTree('/clickhouse/tables/{shard}/nhi/findings', '{replica}', version)
ORDER BY finding_id;

-- 0005_findings
CREATE TABLE IF NOT EXISTS nhi.findings_all ON CLUSTER nhi_cluster AS nhi.findings
ENGINE = Distributed(nhi_cluster, nhi, findings, cityHash64(finding_id));

-- 0005_findings
CREATE TABLE IF NOT EXISTS nhi.finding_events ON CLUSTER nhi_cluster (
    finding_id  String,
    from_state  String,
    to_state    String,
    at          DateTime,
    why         String,
    by          String,
    analysis_id String
) ENGINE = ReplicatedMergeTree('/clickhouse/tables/{shard}/nhi/finding_events', '{replica}')
ORDER BY (finding_id, at);

-- 0005_findings
CREATE TABLE IF NOT EXISTS nhi.finding_events_all ON CLUSTER nhi_cluster AS nhi.finding_events
ENGINE = Distributed(nhi_cluster, nhi, finding_events, cityHash64(finding_id));

-- 0006_unreadable
ALTER TABLE nhi.events ON CLUSTER nhi_cluster ADD COLUMN scan_unreadable Array(String) AFTER scan_errors;

-- 0006_unreadable
DROP TABLE IF EXISTS nhi.events_all ON CLUSTER nhi_cluster;

-- 0006_unreadable
CREATE TABLE IF NOT EXISTS nhi.events_all ON CLUSTER nhi_cluster AS nhi.events
ENGINE = Distributed(nhi_cluster, nhi, events, cityHash64(event_id));

-- 0006_unreadable
CREATE TABLE IF NOT EXISTS nhi.scan_unreadable_state ON CLUSTER nhi_cluster (
    host       String,
    plugin     String,
    scan_id    String,
    unreadable AggregateFunction(groupUniqArrayArray, Array(String))
) ENGINE = ReplicatedAggregatingMergeTree('/clickhouse/tables/{shard}/nhi/scan_unreadable_state', '{replica}')
ORDER BY (host, plugin, scan_id);

-- 0006_unreadable
CREATE MATERIALIZED VIEW IF NOT EXISTS nhi.scan_unreadable_state_mv ON CLUSTER nhi_cluster TO nhi.scan_unreadable_state AS
SELECT
    host, CAST(plugin AS String) AS plugin, scan_id,
    groupUniqArrayArrayState(scan_unreadable) AS unreadable
FROM nhi.events
WHERE type = 'scan_completed' AND notEmpty(scan_unreadable)
GROUP BY host, plugin, scan_id;

-- 0006_unreadable
CREATE TABLE IF NOT EXISTS nhi.scan_unreadable_state_all ON CLUSTER nhi_cluster AS nhi.scan_unreadable_state
ENGINE = Distributed(nhi_cluster, nhi, scan_unreadable_state, cityHash64(host));

-- 0006_unreadable
DROP TABLE IF EXISTS nhi.nhi_inventory ON CLUSTER nhi_cluster;

-- 0006_unreadable
CREATE VIEW IF NOT EXISTS nhi.nhi_inventory ON CLUSTER nhi_cluster AS
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
            FROM nhi.identity_state_all
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
                            FROM nhi.sighting_state_all
                            GROUP BY host, plugin, nhi_id
                        ) ANY LEFT JOIN (
                            SELECT host, plugin, max(started) AS scan_started, argMax(seen, started) AS seen,
                                argMax(unreadable, started) AS unreadable
                            FROM (
                                SELECT * FROM (
                                    SELECT host, plugin, scan_id,
                                        maxMerge(started_at) AS started, maxMerge(full) AS full, maxMerge(parts) AS parts,
                                        length(groupUniqArrayMerge(parts_seen)) AS got, groupUniqArrayArrayMerge(seen) AS seen
                                    FROM nhi.scan_state_all
                                    GROUP BY host, plugin, scan_id
                                ) ANY LEFT JOIN (
                                    SELECT host, plugin, scan_id, groupUniqArrayArrayMerge(unreadable) AS unreadable
                                    FROM nhi.scan_unreadable_state_all
                                    GROUP BY host, plugin, scan_id
                                ) USING (host, plugin, scan_id)
                            )
                            WHERE full = 1 AND got >= parts
                            GROUP BY host, plugin
                        ) USING (host, plugin)
                    ) ANY LEFT JOIN (
                        SELECT host, nhi_id, groupUniqArray(location) AS host_locations
                        FROM nhi.file_state_all
                        GROUP BY host, nhi_id
                    ) USING (host, nhi_id)
                ) LEFT ARRAY JOIN host_locations AS location
            )
            GROUP BY nhi_id
        ) USING nhi_id
    ) ANY LEFT JOIN (
        SELECT nhi_id, maxMerge(last_used) AS id_last_used, argMaxMerge(evidence) AS id_evidence,
            argMaxMerge(source) AS id_source, argMaxMerge(actor) AS id_actor
        FROM nhi.usage_state_all
        WHERE nhi_id != ''
        GROUP BY nhi_id
    ) USING nhi_id
) ANY LEFT JOIN (
    SELECT principal, maxMerge(last_used) AS p_last_used, argMaxMerge(evidence) AS p_evidence,
        argMaxMerge(source) AS p_source, argMaxMerge(actor) AS p_actor
    FROM nhi.usage_state_all
    WHERE principal != ''
    GROUP BY principal
) USING principal;

-- 0007_detect
CREATE TABLE IF NOT EXISTS nhi.attr_state ON CLUSTER nhi_cluster (
    host        String,
    nhi_id      String,
    location    String,
    attr_keys   AggregateFunction(argMax, Array(String), DateTime),
    attr_values AggregateFunction(argMax, Array(String), DateTime),
    last_seen   AggregateFunction(max, DateTime)
) ENGINE = ReplicatedAggregatingMergeTree('/clickhouse/tables/{shard}/nhi/attr_state', '{replica}')
ORDER BY (host, nhi_id, location);

-- 0007_detect
CREATE MATERIALIZED VIEW IF NOT EXISTS nhi.attr_state_mv ON CLUSTER nhi_cluster TO nhi.attr_state AS
SELECT
    host, nhi_id, location,
    argMaxState(attr_keys, time)   AS attr_keys,
    argMaxState(attr_values, time) AS attr_values,
    maxState(time)                 AS last_seen
FROM nhi.events
WHERE type = 'nhi_observed'
GROUP BY host, nhi_id, location;

-- 0007_detect
CREATE TABLE IF NOT EXISTS nhi.attr_state_all ON CLUSTER nhi_cluster AS nhi.attr_state
ENGINE = Distributed(nhi_cluster, nhi, attr_state, cityHash64(host));

-- 0007_detect
CREATE TABLE IF NOT EXISTS nhi.file_meta_state ON CLUSTER nhi_cluster (
    host       String,
    nhi_id     String,
    location   String,
    file_mode  AggregateFunction(argMax, String, DateTime),
    file_owner AggregateFunction(argMax, String, DateTime),
    account    AggregateFunction(argMax, String, DateTime),
    last_seen  AggregateFunction(max, DateTime)
) ENGINE = ReplicatedAggregatingMergeTree('/clickhouse/tables/{shard}/nhi/file_meta_state', '{replica}')
ORDER BY (host, nhi_id, location);

-- 0007_detect
CREATE MATERIALIZED VIEW IF NOT EXISTS nhi.file_meta_state_mv ON CLUSTER nhi_cluster TO nhi.file_meta_state AS
SELECT
    host, nhi_id, location,
    argMaxState(file_mode, time)  AS file_mode,
    argMaxState(file_owner, time) AS file_owner,
    argMaxState(account, time)    AS account,
    maxState(time)                AS last_seen
FROM nhi.events
WHERE type = 'nhi_observed' AND location != ''
GROUP BY host, nhi_id, location;

-- 0007_detect
CREATE TABLE IF NOT EXISTS nhi.file_meta_state_all ON CLUSTER nhi_cluster AS nhi.file_meta_state
ENGINE = Distributed(nhi_cluster, nhi, file_meta_state, cityHash64(host));

-- 0007_detect
CREATE TABLE IF NOT EXISTS nhi.usage_host_state ON CLUSTER nhi_cluster (
    host       String,
    evidence   String,
    source     String,
    first_used AggregateFunction(min, DateTime),
    last_used  AggregateFunction(max, DateTime)
) ENGINE = ReplicatedAggregatingMergeTree('/clickhouse/tables/{shard}/nhi/usage_host_state', '{replica}')
ORDER BY (host, evidence, source);

-- 0007_detect
CREATE MATERIALIZED VIEW IF NOT EXISTS nhi.usage_host_state_mv ON CLUSTER nhi_cluster TO nhi.usage_host_state AS
SELECT
    host, CAST(evidence AS String) AS evidence, source,
    minState(used_at) AS first_used,
    maxState(used_at) AS last_used
FROM nhi.events
WHERE type = 'usage_evidence' AND used_at > toDateTime(0)
GROUP BY host, evidence, source;

-- 0007_detect
CREATE TABLE IF NOT EXISTS nhi.usage_host_state_all ON CLUSTER nhi_cluster AS nhi.usage_host_state
ENGINE = Distributed(nhi_cluster, nhi, usage_host_state, cityHash64(host));

-- 0007_detect
CREATE TABLE IF NOT EXISTS nhi.usage_actor_state ON CLUSTER nhi_cluster (
    host      String,
    nhi_id    String,
    kind      String,
    principal String,
    account   String,
    evidence  String,
    actor     String,
    last_used AggregateFunction(max, DateTime),
    source    AggregateFunction(argMax, String, DateTime)
) ENGINE = ReplicatedAggregatingMergeTree('/clickhouse/tables/{shard}/nhi/usage_actor_state', '{replica}')
ORDER BY (host, nhi_id, kind, principal, account, evidence, actor);

-- 0007_detect
CREATE MATERIALIZED VIEW IF NOT EXISTS nhi.usage_actor_state_mv ON CLUSTER nhi_cluster TO nhi.usage_actor_state AS
SELECT
    host, nhi_id, CAST(kind AS String) AS kind, principal, account, CAST(evidence AS String) AS evidence, actor,
    maxState(used_at)             AS last_used,
    argMaxState(source, used_at)  AS source
FROM nhi.events
WHERE type = 'usage_evidence' AND actor != ''
GROUP BY host, nhi_id, kind, principal, account, evidence, actor;

-- 0007_detect
CREATE TABLE IF NOT EXISTS nhi.usage_actor_state_all ON CLUSTER nhi_cluster AS nhi.usage_actor_state
ENGINE = Distributed(nhi_cluster, nhi, usage_actor_state, cityHash64(host));

-- 0008_tickets
CREATE TABLE IF NOT EXISTS nhi.tickets ON CLUSTER nhi_cluster (
    ticket_id   String,
    version     UInt64,
    system      String,
    external_id String,
    url         String,
    type        String,
    finding_ids Array(String),
    state       String,
    owner       String,
    queue       String,
    priority    String,
    severity    String,
    due         DateTime,
    title       String,
    opened_at   DateTime,
    closed_at   DateTime,
    resolution  String,
    updated_at  DateTime
) ENGINE = ReplicatedReplacingMergeTree('/clickhouse/tables/{shard}/nhi/tickets', '{replica}', version)
ORDER BY ticket_id;

-- 0008_tickets
CREATE TABLE IF NOT EXISTS nhi.tickets_all ON CLUSTER nhi_cluster AS nhi.tickets
ENGINE = Distributed(nhi_cluster, nhi, tickets, cityHash64(ticket_id));

-- 0008_tickets
CREATE TABLE IF NOT EXISTS nhi.ticket_events ON CLUSTER nhi_cluster (
    ticket_id  String,
    at         DateTime,
    from_state String,
    to_state   String,
    why        String,
    by         String
) ENGINE = ReplicatedMergeTree('/clickhouse/tables/{shard}/nhi/ticket_events', '{replica}')
ORDER BY (ticket_id, at);

-- 0008_tickets
CREATE TABLE IF NOT EXISTS nhi.ticket_events_all ON CLUSTER nhi_cluster AS nhi.ticket_events
ENGINE = Distributed(nhi_cluster, nhi, ticket_events, cityHash64(ticket_id));

-- 0008_tickets
CREATE TABLE IF NOT EXISTS nhi.local_tickets ON CLUSTER nhi_cluster (
    external_id String,
    version     UInt64,
    key         String,
    type        String,
    title       String,
    body        String,
    priority    String,
    queue       String,
    due         DateTime,
    labels      Array(String),
    state       String,
    resolution  String,
    created_at  DateTime,
    updated_at  DateTime
) ENGINE = ReplicatedReplacingMergeTree('/clickhouse/tables/{shard}/nhi/local_tickets', '{replica}', version)
ORDER BY external_id;

-- 0008_tickets
CREATE TABLE IF NOT EXISTS nhi.local_tickets_all ON CLUSTER nhi_cluster AS nhi.local_tickets
ENGINE = Distributed(nhi_cluster, nhi, local_tickets, cityHash64(external_id));

-- 0008_tickets
CREATE TABLE IF NOT EXISTS nhi.local_ticket_notes ON CLUSTER nhi_cluster (
    external_id String,
    at          DateTime,
    author      String,
    kind        String,
    text        String
) ENGINE = ReplicatedMergeTree('/clickhouse/tables/{shard}/nhi/local_ticket_notes', '{replica}')
ORDER BY (external_id, at);

-- 0008_tickets
CREATE TABLE IF NOT EXISTS nhi.local_ticket_notes_all ON CLUSTER nhi_cluster AS nhi.local_ticket_notes
ENGINE = Distributed(nhi_cluster, nhi, local_ticket_notes, cityHash64(external_id));

-- 0009_reviews
ALTER TABLE nhi.tickets ON CLUSTER nhi_cluster ADD COLUMN nhi_ids Array(String) AFTER finding_ids;

-- 0009_reviews
DROP TABLE IF EXISTS nhi.tickets_all ON CLUSTER nhi_cluster;

-- 0009_reviews
CREATE TABLE IF NOT EXISTS nhi.tickets_all ON CLUSTER nhi_cluster AS nhi.tickets
ENGINE = Distributed(nhi_cluster, nhi, tickets, cityHash64(ticket_id));

-- 0009_reviews
CREATE TABLE IF NOT EXISTS nhi.review_decisions ON CLUSTER nhi_cluster (
    nhi_id    String,
    decision  String,
    by        String,
    at        DateTime,
    ticket_id String,
    note      String
) ENGINE = ReplicatedMergeTree('/clickhouse/tables/{shard}/nhi/review_decisions', '{replica}')
ORDER BY (nhi_id, at);

-- 0009_reviews
CREATE TABLE IF NOT EXISTS nhi.review_decisions_all ON CLUSTER nhi_cluster AS nhi.review_decisions
ENGINE = Distributed(nhi_cluster, nhi, review_decisions, cityHash64(nhi_id));

-- 0010_coverage
ALTER TABLE nhi.events ON CLUSTER nhi_cluster ADD COLUMN scan_coverage_source Array(String) AFTER scan_unreadable;

-- 0010_coverage
ALTER TABLE nhi.events ON CLUSTER nhi_cluster ADD COLUMN scan_coverage_evidence Array(String) AFTER scan_coverage_source;

-- 0010_coverage
ALTER TABLE nhi.events ON CLUSTER nhi_cluster ADD COLUMN scan_coverage_from Array(DateTime) AFTER scan_coverage_evidence;

-- 0010_coverage
ALTER TABLE nhi.events ON CLUSTER nhi_cluster ADD COLUMN scan_coverage_to Array(DateTime) AFTER scan_coverage_from;

-- 0010_coverage
DROP TABLE IF EXISTS nhi.events_all ON CLUSTER nhi_cluster;

-- 0010_coverage
CREATE TABLE IF NOT EXISTS nhi.events_all ON CLUSTER nhi_cluster AS nhi.events
ENGINE = Distributed(nhi_cluster, nhi, events, cityHash64(event_id));

-- 0010_coverage
CREATE TABLE IF NOT EXISTS nhi.coverage_state ON CLUSTER nhi_cluster (
    host         String,
    evidence     String,
    source       String,
    covered_from AggregateFunction(min, DateTime),
    covered_to   AggregateFunction(max, DateTime)
) ENGINE = ReplicatedAggregatingMergeTree('/clickhouse/tables/{shard}/nhi/coverage_state', '{replica}')
ORDER BY (host, evidence, source);

-- 0010_coverage
CREATE MATERIALIZED VIEW IF NOT EXISTS nhi.coverage_state_mv ON CLUSTER nhi_cluster TO nhi.coverage_state AS
SELECT
    host, cov_evidence AS evidence, cov_source AS source,
    minState(cov_from) AS covered_from,
    maxState(cov_to)   AS covered_to
FROM nhi.events
ARRAY JOIN scan_coverage_source AS cov_source, scan_coverage_evidence AS cov_evidence,
    scan_coverage_from AS cov_from, scan_coverage_to AS cov_to
WHERE type = 'scan_completed'
GROUP BY host, evidence, source;

-- 0010_coverage
CREATE TABLE IF NOT EXISTS nhi.coverage_state_all ON CLUSTER nhi_cluster AS nhi.coverage_state
ENGINE = Distributed(nhi_cluster, nhi, coverage_state, cityHash64(host));

-- 0011_policy_versions
CREATE TABLE IF NOT EXISTS nhi.policy_versions ON CLUSTER nhi_cluster (
    digest String,
    file   String,
    at     DateTime
) ENGINE = ReplicatedMergeTree('/clickhouse/tables/{shard}/nhi/policy_versions', '{replica}')
ORDER BY (digest, at);

-- 0011_policy_versions
CREATE TABLE IF NOT EXISTS nhi.policy_versions_all ON CLUSTER nhi_cluster AS nhi.policy_versions
ENGINE = Distributed(nhi_cluster, nhi, policy_versions, cityHash64(digest));

-- 0012_ticket_hooks
CREATE TABLE IF NOT EXISTS nhi.ticket_hooks ON CLUSTER nhi_cluster (
    system      String,
    external_id String,
    state       String,
    at          DateTime DEFAULT now()
) ENGINE = ReplicatedMergeTree('/clickhouse/tables/{shard}/nhi/ticket_hooks', '{replica}')
ORDER BY (system, external_id, at);

-- 0012_ticket_hooks
CREATE TABLE IF NOT EXISTS nhi.ticket_hooks_all ON CLUSTER nhi_cluster AS nhi.ticket_hooks
ENGINE = Distributed(nhi_cluster, nhi, ticket_hooks, cityHash64(external_id));

-- 0013_listing
CREATE TABLE IF NOT EXISTS nhi.listing_state ON CLUSTER nhi_cluster (
    host        String,
    plugin      String,
    nhi_id      String,
    last_listed AggregateFunction(max, DateTime)
) ENGINE = ReplicatedAggregatingMergeTree('/clickhouse/tables/{shard}/nhi/listing_state', '{replica}')
ORDER BY (host, plugin, nhi_id);

-- 0013_listing
CREATE MATERIALIZED VIEW IF NOT EXISTS nhi.listing_state_mv ON CLUSTER nhi_cluster TO nhi.listing_state AS
SELECT host, CAST(plugin AS String) AS plugin, listed AS nhi_id, maxState(scan_started_at) AS last_listed
FROM nhi.events
ARRAY JOIN scan_seen AS listed
WHERE type = 'scan_completed'
GROUP BY host, plugin, listed;

-- 0013_listing
CREATE TABLE IF NOT EXISTS nhi.listing_state_all ON CLUSTER nhi_cluster AS nhi.listing_state
ENGINE = Distributed(nhi_cluster, nhi, listing_state, cityHash64(host));

-- 0013_listing
DROP TABLE IF EXISTS nhi.nhi_inventory ON CLUSTER nhi_cluster;

-- 0013_listing
CREATE VIEW IF NOT EXISTS nhi.nhi_inventory ON CLUSTER nhi_cluster AS
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
            FROM nhi.identity_state_all
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
                                FROM nhi.sighting_state_all
                                GROUP BY host, plugin, nhi_id
                                UNION ALL
                                SELECT host, plugin, nhi_id, maxMerge(last_listed) AS at
                                FROM nhi.listing_state_all
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
                                    FROM nhi.scan_state_all
                                    GROUP BY host, plugin, scan_id
                                ) ANY LEFT JOIN (
                                    SELECT host, plugin, scan_id, groupUniqArrayArrayMerge(unreadable) AS unreadable
                                    FROM nhi.scan_unreadable_state_all
                                    GROUP BY host, plugin, scan_id
                                ) USING (host, plugin, scan_id)
                            )
                            WHERE full = 1 AND got >= parts
                            GROUP BY host, plugin
                        ) USING (host, plugin)
                    ) ANY LEFT JOIN (
                        SELECT host, nhi_id, groupUniqArray(location) AS host_locations
                        FROM nhi.file_state_all
                        GROUP BY host, nhi_id
                    ) USING (host, nhi_id)
                ) LEFT ARRAY JOIN host_locations AS location
            )
            GROUP BY nhi_id
        ) USING nhi_id
    ) ANY LEFT JOIN (
        SELECT nhi_id, maxMerge(last_used) AS id_last_used, argMaxMerge(evidence) AS id_evidence,
            argMaxMerge(source) AS id_source, argMaxMerge(actor) AS id_actor
        FROM nhi.usage_state_all
        WHERE nhi_id != ''
        GROUP BY nhi_id
    ) USING nhi_id
) ANY LEFT JOIN (
    SELECT principal, maxMerge(last_used) AS p_last_used, argMaxMerge(evidence) AS p_evidence,
        argMaxMerge(source) AS p_source, argMaxMerge(actor) AS p_actor
    FROM nhi.usage_state_all
    WHERE principal != ''
    GROUP BY principal
) USING principal;

-- 0014_finding_digest
ALTER TABLE nhi.findings ON CLUSTER nhi_cluster ADD COLUMN digest UInt64 AFTER policy;

-- 0014_finding_digest
DROP TABLE IF EXISTS nhi.findings_all ON CLUSTER nhi_cluster;

-- 0014_finding_digest
CREATE TABLE IF NOT EXISTS nhi.findings_all ON CLUSTER nhi_cluster AS nhi.findings
ENGINE = Distributed(nhi_cluster, nhi, findings, cityHash64(finding_id));

-- 0015_heartbeat_columns
ALTER TABLE nhi.events ON CLUSTER nhi_cluster
    ADD COLUMN hb_version String DEFAULT visitParamExtractString(heartbeat, 'version') AFTER heartbeat,
    ADD COLUMN hb_os String DEFAULT visitParamExtractString(heartbeat, 'os') AFTER hb_version,
    ADD COLUMN hb_platform String DEFAULT visitParamExtractString(heartbeat, 'platform') AFTER hb_os,
    ADD COLUMN hb_kernel String DEFAULT visitParamExtractString(heartbeat, 'kernel') AFTER hb_platform,
    ADD COLUMN hb_boot_time DateTime AFTER hb_kernel,
    ADD COLUMN hb_ips Array(String) AFTER hb_boot_time,
    ADD COLUMN hb_spool_depth Int64 DEFAULT visitParamExtractInt(heartbeat, 'spool_depth') AFTER hb_ips,
    ADD COLUMN hb_spool_bytes Int64 DEFAULT visitParamExtractInt(heartbeat, 'spool_bytes') AFTER hb_spool_depth,
    ADD COLUMN hb_dropped Int64 DEFAULT visitParamExtractInt(heartbeat, 'dropped') AFTER hb_spool_bytes,
    ADD COLUMN hb_spool_resets Int64 DEFAULT visitParamExtractInt(heartbeat, 'spool_resets') AFTER hb_dropped,
    ADD COLUMN hb_cpu_percent Float64 DEFAULT visitParamExtractFloat(heartbeat, 'cpu_percent') AFTER hb_spool_resets,
    ADD COLUMN hb_rss_bytes Int64 DEFAULT visitParamExtractInt(heartbeat, 'rss_bytes') AFTER hb_cpu_percent,
    ADD COLUMN hb_budget_cpu_percent Float64 DEFAULT visitParamExtractFloat(visitParamExtractRaw(heartbeat, 'budget'), 'cpu_percent') AFTER hb_rss_bytes,
    ADD COLUMN hb_budget_read_bytes_per_second Float64 DEFAULT visitParamExtractFloat(visitParamExtractRaw(heartbeat, 'budget'), 'read_bytes_per_second') AFTER hb_budget_cpu_percent,
    ADD COLUMN hb_budget_throttled UInt8 DEFAULT visitParamExtractBool(visitParamExtractRaw(heartbeat, 'budget'), 'throttled') AFTER hb_budget_read_bytes_per_second,
    ADD COLUMN hb_budget_pauses Int64 DEFAULT visitParamExtractInt(visitParamExtractRaw(heartbeat, 'budget'), 'pauses') AFTER hb_budget_throttled,
    ADD COLUMN hb_budget_reason String DEFAULT visitParamExtractString(visitParamExtractRaw(heartbeat, 'budget'), 'reason') AFTER hb_budget_pauses,
    ADD COLUMN hb_plugin_name Array(String) AFTER hb_budget_reason,
    ADD COLUMN hb_plugin_state Array(String) AFTER hb_plugin_name,
    ADD COLUMN hb_plugin_last_scan Array(DateTime) AFTER hb_plugin_state,
    ADD COLUMN hb_plugin_restarts Array(Int64) AFTER hb_plugin_last_scan,
    ADD COLUMN hb_plugin_last_error Array(String) AFTER hb_plugin_restarts,
    ADD COLUMN hb_plugin_rss_bytes Array(Int64) AFTER hb_plugin_last_error,
    ADD COLUMN hb_plugin_limit_reached Array(String) AFTER hb_plugin_rss_bytes;

-- 0015_heartbeat_columns
DROP TABLE IF EXISTS nhi.events_all ON CLUSTER nhi_cluster;

-- 0015_heartbeat_columns
CREATE TABLE IF NOT EXISTS nhi.events_all ON CLUSTER nhi_cluster AS nhi.events
ENGINE = Distributed(nhi_cluster, nhi, events, cityHash64(event_id));

-- 0015_heartbeat_columns
DROP TABLE IF EXISTS nhi.agent_state_mv ON CLUSTER nhi_cluster;

-- 0015_heartbeat_columns
CREATE MATERIALIZED VIEW IF NOT EXISTS nhi.agent_state_mv ON CLUSTER nhi_cluster TO nhi.agent_state AS
SELECT
    agent_id,
    argMaxState(host, time)           AS host,
    minState(time)                    AS first_seen,
    maxState(time)                    AS last_seen,
    argMaxState(hb_version, time)     AS version,
    argMaxState(hb_os, time)          AS os,
    argMaxState(hb_spool_depth, time) AS spool_depth,
    argMaxState(hb_spool_bytes, time) AS spool_bytes,
    argMaxState(hb_dropped, time)     AS dropped,
    argMaxState(hb_cpu_percent, time) AS cpu_percent,
    argMaxState(hb_rss_bytes, time)   AS rss_bytes
FROM nhi.events
WHERE type = 'agent_heartbeat'
GROUP BY agent_id;

-- 0016_inventory_parts
CREATE VIEW IF NOT EXISTS nhi.identity_facts ON CLUSTER nhi_cluster AS
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
            FROM nhi.identity_state_all
            GROUP BY nhi_id
        ) ANY LEFT JOIN (
            SELECT nhi_id, maxMerge(last_used) AS id_last_used, argMaxMerge(evidence) AS id_evidence,
                argMaxMerge(source) AS id_source, argMaxMerge(actor) AS id_actor
            FROM nhi.usage_state_all
            WHERE nhi_id != ''
            GROUP BY nhi_id
        ) USING nhi_id
    ) ANY LEFT JOIN (
        SELECT principal, maxMerge(last_used) AS p_last_used, argMaxMerge(evidence) AS p_evidence,
            argMaxMerge(source) AS p_source, argMaxMerge(actor) AS p_actor
        FROM nhi.usage_state_all
        WHERE principal != ''
        GROUP BY principal
    ) USING principal
) ANY LEFT JOIN (
    SELECT nhi_id, minIfMerge(created_at) AS created_at, minIfMerge(modified_at) AS modified_at
    FROM nhi.identity_age_state_all
    GROUP BY nhi_id
) USING nhi_id;

-- 0016_inventory_parts
CREATE VIEW IF NOT EXISTS nhi.identity_presence ON CLUSTER nhi_cluster AS
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
                    FROM nhi.sighting_state_all
                    GROUP BY host, plugin, nhi_id
                    UNION ALL
                    SELECT host, plugin, nhi_id, maxMerge(last_listed) AS at
                    FROM nhi.listing_state_all
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
                        FROM nhi.scan_state_all
                        GROUP BY host, plugin, scan_id
                    ) ANY LEFT JOIN (
                        SELECT host, plugin, scan_id, groupUniqArrayArrayMerge(unreadable) AS unreadable
                        FROM nhi.scan_unreadable_state_all
                        GROUP BY host, plugin, scan_id
                    ) USING (host, plugin, scan_id)
                )
                WHERE full = 1 AND got >= parts
                GROUP BY host, plugin
            ) USING (host, plugin)
        ) ANY LEFT JOIN (
            SELECT host, nhi_id, groupUniqArray(location) AS host_locations
            FROM nhi.file_state_all
            GROUP BY host, nhi_id
        ) USING (host, nhi_id)
    ) LEFT ARRAY JOIN host_locations AS location
)
GROUP BY nhi_id;

-- 0016_inventory_parts
DROP TABLE IF EXISTS nhi.nhi_inventory ON CLUSTER nhi_cluster;

-- 0016_inventory_parts
CREATE VIEW IF NOT EXISTS nhi.nhi_inventory ON CLUSTER nhi_cluster AS
SELECT
    nhi_id, kind, principal, fingerprint, hosts, locations, accounts, file_owners, owner_hints,
    first_seen, last_seen, expires_at, still_present, present_hosts,
    last_used, last_evidence, last_source, last_actor, created_at, modified_at
FROM nhi.identity_facts
ANY LEFT JOIN (SELECT nhi_id, still_present, present_hosts FROM nhi.identity_presence) USING nhi_id;

-- 0017_presence_locations
DROP TABLE IF EXISTS nhi.identity_presence ON CLUSTER nhi_cluster;

-- 0017_presence_locations
CREATE VIEW IF NOT EXISTS nhi.identity_presence ON CLUSTER nhi_cluster AS
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
                    FROM nhi.sighting_state_all
                    GROUP BY host, plugin, nhi_id
                    UNION ALL
                    SELECT host, plugin, nhi_id, maxMerge(last_listed) AS at
                    FROM nhi.listing_state_all
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
                        FROM nhi.scan_state_all
                        GROUP BY host, plugin, scan_id
                    ) ANY LEFT JOIN (
                        SELECT host, plugin, scan_id, groupUniqArrayArrayMerge(unreadable) AS unreadable
                        FROM nhi.scan_unreadable_state_all
                        GROUP BY host, plugin, scan_id
                    ) USING (host, plugin, scan_id)
                )
                WHERE full = 1 AND got >= parts
                GROUP BY host, plugin
            ) USING (host, plugin)
        ) ANY LEFT JOIN (
            SELECT host, nhi_id, groupUniqArray(location) AS host_locations
            FROM nhi.file_state_all
            WHERE host GLOBAL IN (SELECT host FROM nhi.scan_unreadable_state_all)
            GROUP BY host, nhi_id
        ) USING (host, nhi_id)
    ) LEFT ARRAY JOIN host_locations AS location
)
GROUP BY nhi_id;

-- 0018_location_flags
CREATE TABLE IF NOT EXISTS nhi.location_flag_state ON CLUSTER nhi_cluster (
    flag         String,
    host         String,
    nhi_id       String,
    location     String,
    last_flagged AggregateFunction(max, DateTime)
) ENGINE = ReplicatedAggregatingMergeTree('/clickhouse/tables/{shard}/nhi/location_flag_state', '{replica}')
ORDER BY (flag, host, nhi_id, location);

-- 0018_location_flags
CREATE MATERIALIZED VIEW IF NOT EXISTS nhi.location_flag_state_mv ON CLUSTER nhi_cluster TO nhi.location_flag_state AS
SELECT
    flag, host, nhi_id, location, maxState(time) AS last_flagged
FROM nhi.events
ARRAY JOIN arrayFilter(f -> f != '', [
    if(location != '' AND (match(file_mode, '[4-7].?$')
        OR (file_owner != '' AND account != '' AND file_owner != account AND file_owner != 'root')), 'exposed', ''),
    if(attr_values[indexOf(attr_keys, 'source')] IN ('cmdline', 'process_args', 'exec_start', 'cron_command'), 'cmdline', ''),
    if(kind = 'os_service_account' AND (attr_values[indexOf(attr_keys, 'uid')] = '0'
        OR attr_values[indexOf(attr_keys, 'sudo_nopasswd')] = 'true'
        OR match(attr_values[indexOf(attr_keys, 'groups')], 'sudo|wheel|docker|admin')), 'privileged', '')
]) AS flag
WHERE type = 'nhi_observed'
GROUP BY flag, host, nhi_id, location;

-- 0018_location_flags
CREATE TABLE IF NOT EXISTS nhi.location_flag_state_all ON CLUSTER nhi_cluster AS nhi.location_flag_state
ENGINE = Distributed(nhi_cluster, nhi, location_flag_state, cityHash64(host));

-- 0019_account_attrs
CREATE TABLE IF NOT EXISTS nhi.account_attr_state ON CLUSTER nhi_cluster (
    host        String,
    nhi_id      String,
    location    String,
    attr_keys   AggregateFunction(argMax, Array(String), DateTime),
    attr_values AggregateFunction(argMax, Array(String), DateTime),
    last_seen   AggregateFunction(max, DateTime)
) ENGINE = ReplicatedAggregatingMergeTree('/clickhouse/tables/{shard}/nhi/account_attr_state', '{replica}')
ORDER BY (host, nhi_id, location);

-- 0019_account_attrs
CREATE MATERIALIZED VIEW IF NOT EXISTS nhi.account_attr_state_mv ON CLUSTER nhi_cluster TO nhi.account_attr_state AS
SELECT
    host, nhi_id, location,
    argMaxState(attr_keys, time)   AS attr_keys,
    argMaxState(attr_values, time) AS attr_values,
    maxState(time)                 AS last_seen
FROM nhi.events
WHERE type = 'nhi_observed' AND kind = 'os_service_account'
GROUP BY host, nhi_id, location;

-- 0019_account_attrs
CREATE TABLE IF NOT EXISTS nhi.account_attr_state_all ON CLUSTER nhi_cluster AS nhi.account_attr_state
ENGINE = Distributed(nhi_cluster, nhi, account_attr_state, cityHash64(host));

-- 0019_account_attrs
INSERT INTO nhi.account_attr_state_all SELECT
    host, nhi_id, location,
    argMaxState(attr_keys, time), argMaxState(attr_values, time), maxState(time)
FROM nhi.events_all
WHERE type = 'nhi_observed' AND kind = 'os_service_account'
GROUP BY host, nhi_id, location;

-- 0020_sourced_attrs
CREATE TABLE IF NOT EXISTS nhi.sourced_attr_state ON CLUSTER nhi_cluster (
    host        String,
    nhi_id      String,
    location    String,
    keys        AggregateFunction(argMax, Array(String), DateTime),
    values      AggregateFunction(argMax, Array(String), DateTime),
    last_seen   AggregateFunction(max, DateTime)
) ENGINE = ReplicatedAggregatingMergeTree('/clickhouse/tables/{shard}/nhi/sourced_attr_state', '{replica}')
ORDER BY (host, nhi_id, location);

-- 0020_sourced_attrs
CREATE MATERIALIZED VIEW IF NOT EXISTS nhi.sourced_attr_state_mv ON CLUSTER nhi_cluster TO nhi.sourced_attr_state AS
SELECT
    host, nhi_id, location,
    argMaxState(attr_keys, time)   AS keys,
    argMaxState(attr_values, time) AS values,
    maxState(time)                 AS last_seen
FROM nhi.events
WHERE type = 'nhi_observed' AND has(attr_keys, 'source')
GROUP BY host, nhi_id, location;

-- 0020_sourced_attrs
CREATE TABLE IF NOT EXISTS nhi.sourced_attr_state_all ON CLUSTER nhi_cluster AS nhi.sourced_attr_state
ENGINE = Distributed(nhi_cluster, nhi, sourced_attr_state, cityHash64(host));

-- 0020_sourced_attrs
INSERT INTO nhi.sourced_attr_state_all SELECT
    host, nhi_id, location,
    argMaxState(attr_keys, time), argMaxState(attr_values, time), maxState(time)
FROM nhi.events_all
WHERE type = 'nhi_observed' AND has(attr_keys, 'source')
GROUP BY host, nhi_id, location;

-- 0021_flag_backfill
INSERT INTO nhi.location_flag_state_all SELECT
    flag, host, nhi_id, location, maxState(time) AS last_flagged
FROM nhi.events_all
ARRAY JOIN arrayFilter(f -> f != '', [
    if(location != '' AND (match(file_mode, '[4-7].?$')
        OR (file_owner != '' AND account != '' AND file_owner != account AND file_owner != 'root')), 'exposed', ''),
    if(attr_values[indexOf(attr_keys, 'source')] IN ('cmdline', 'process_args', 'exec_start', 'cron_command'), 'cmdline', ''),
    if(kind = 'os_service_account' AND (attr_values[indexOf(attr_keys, 'uid')] = '0'
        OR attr_values[indexOf(attr_keys, 'sudo_nopasswd')] = 'true'
        OR match(attr_values[indexOf(attr_keys, 'groups')], 'sudo|wheel|docker|admin')), 'privileged', '')
]) AS flag
WHERE type = 'nhi_observed'
GROUP BY flag, host, nhi_id, location;

