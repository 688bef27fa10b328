{{define "identity_age_state"}}SELECT
    nhi_id,
    minIfState(created_at, created_at > toDateTime(0))   AS created_at,
    minIfState(modified_at, modified_at > toDateTime(0)) AS modified_at
FROM {{.DB}}.events
WHERE type = 'nhi_observed'
GROUP BY nhi_id{{end}}
{{define "file_state"}}SELECT
    host, nhi_id, location,
    argMaxState(file_mode, time) AS file_mode,
    maxState(time)               AS last_seen
FROM {{.DB}}.events
WHERE type = 'nhi_observed' AND location != ''
GROUP BY host, nhi_id, location{{end}}
-- Governance: how old an identity is by the host's own evidence, the
-- latest mode of each file that holds it, and the findings with every
-- transition. Findings keep one current row per finding_id
-- (ReplacingMergeTree on version); readers use FINAL.
CREATE TABLE IF NOT EXISTS {{.DB}}.identity_age_state {{.OnCluster}} (
    nhi_id      String,
    created_at  AggregateFunction(minIf, DateTime, UInt8),
    modified_at AggregateFunction(minIf, DateTime, UInt8)
) ENGINE = {{engine "AggregatingMergeTree" "identity_age_state" ""}}
ORDER BY nhi_id;

CREATE MATERIALIZED VIEW IF NOT EXISTS {{.DB}}.identity_age_state_mv {{.OnCluster}} TO {{.DB}}.identity_age_state AS
{{template "identity_age_state" .}};
{{dist "identity_age_state" "cityHash64(nhi_id)"}}{{if not .Cluster}}
INSERT INTO {{.DB}}.identity_age_state {{template "identity_age_state" .}};
{{end}}

CREATE TABLE IF NOT EXISTS {{.DB}}.file_state {{.OnCluster}} (
    host      String,
    nhi_id    String,
    location  String,
    file_mode AggregateFunction(argMax, String, DateTime),
    last_seen AggregateFunction(max, DateTime)
) ENGINE = {{engine "AggregatingMergeTree" "file_state" ""}}
ORDER BY (host, nhi_id, location);

CREATE MATERIALIZED VIEW IF NOT EXISTS {{.DB}}.file_state_mv {{.OnCluster}} TO {{.DB}}.file_state AS
{{template "file_state" .}};
{{dist "file_state" "cityHash64(host)"}}{{if not .Cluster}}
INSERT INTO {{.DB}}.file_state {{template "file_state" .}};
{{end}}

CREATE TABLE IF NOT EXISTS {{.DB}}.findings {{.OnCluster}} (
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
) ENGINE = {{engine "ReplacingMergeTree" "findings" "version"}}
ORDER BY finding_id;
{{dist "findings" "cityHash64(finding_id)"}}
CREATE TABLE IF NOT EXISTS {{.DB}}.finding_events {{.OnCluster}} (
    finding_id  String,
    from_state  String,
    to_state    String,
    at          DateTime,
    why         String,
    by          String,
    analysis_id String
) ENGINE = {{engine "MergeTree" "finding_events" ""}}
ORDER BY (finding_id, at);
{{dist "finding_events" "cityHash64(finding_id)"}}
