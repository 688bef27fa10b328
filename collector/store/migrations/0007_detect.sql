{{define "attr_state"}}SELECT
    host, nhi_id, location,
    argMaxState(attr_keys, time)   AS attr_keys,
    argMaxState(attr_values, time) AS attr_values,
    maxState(time)                 AS last_seen
FROM {{.DB}}.events
WHERE type = 'nhi_observed'
GROUP BY host, nhi_id, location{{end}}
{{define "file_meta_state"}}SELECT
    host, nhi_id, location,
    argMaxState(file_mode, time)  AS file_mode,
    argMaxState(file_owner, time) AS file_owner,
    argMaxState(account, time)    AS account,
    maxState(time)                AS last_seen
FROM {{.DB}}.events
WHERE type = 'nhi_observed' AND location != ''
GROUP BY host, nhi_id, location{{end}}
{{define "usage_host_state"}}SELECT
    host, CAST(evidence AS String) AS evidence, source,
    minState(used_at) AS first_used,
    maxState(used_at) AS last_used
FROM {{.DB}}.events
WHERE type = 'usage_evidence' AND used_at > toDateTime(0)
GROUP BY host, evidence, source{{end}}
{{define "usage_actor_state"}}SELECT
    host, nhi_id, CAST(kind AS String) AS kind, principal, account, CAST(evidence AS String) AS evidence, actor,
    maxState(used_at)             AS last_used,
    argMaxState(source, used_at)  AS source
FROM {{.DB}}.events
WHERE type = 'usage_evidence' AND actor != ''
GROUP BY host, nhi_id, kind, principal, account, evidence, actor{{end}}
-- What the detectors (analytics/detect) read besides the inventory: the
-- latest attrs of each identity at each location (sudo rights, uid,
-- groups, where a secret was found), how far back each usage source of a
-- host reaches (dormant fires only where a source covers the window), and
-- who used which account how (human_use). file_meta_state is file_state
-- with the file's owner and the account it belongs to (exposed_file).
CREATE TABLE IF NOT EXISTS {{.DB}}.attr_state {{.OnCluster}} (
    host        String,
    nhi_id      String,
    location    String,
    attr_keys   AggregateFunction(argMax, Array(String), DateTime),
    attr_values AggregateFunction(argMax, Array(String), DateTime),
    last_seen   AggregateFunction(max, DateTime)
) ENGINE = {{engine "AggregatingMergeTree" "attr_state" ""}}
ORDER BY (host, nhi_id, location);

CREATE MATERIALIZED VIEW IF NOT EXISTS {{.DB}}.attr_state_mv {{.OnCluster}} TO {{.DB}}.attr_state AS
{{template "attr_state" .}};
{{dist "attr_state" "cityHash64(host)"}}{{if not .Cluster}}
INSERT INTO {{.DB}}.attr_state {{template "attr_state" .}};
{{end}}

CREATE TABLE IF NOT EXISTS {{.DB}}.file_meta_state {{.OnCluster}} (
    host       String,
    nhi_id     String,
    location   String,
    file_mode  AggregateFunction(argMax, String, DateTime),
    file_owner AggregateFunction(argMax, String, DateTime),
    account    AggregateFunction(argMax, String, DateTime),
    last_seen  AggregateFunction(max, DateTime)
) ENGINE = {{engine "AggregatingMergeTree" "file_meta_state" ""}}
ORDER BY (host, nhi_id, location);

CREATE MATERIALIZED VIEW IF NOT EXISTS {{.DB}}.file_meta_state_mv {{.OnCluster}} TO {{.DB}}.file_meta_state AS
{{template "file_meta_state" .}};
{{dist "file_meta_state" "cityHash64(host)"}}{{if not .Cluster}}
INSERT INTO {{.DB}}.file_meta_state {{template "file_meta_state" .}};
{{end}}

CREATE TABLE IF NOT EXISTS {{.DB}}.usage_host_state {{.OnCluster}} (
    host       String,
    evidence   String,
    source     String,
    first_used AggregateFunction(min, DateTime),
    last_used  AggregateFunction(max, DateTime)
) ENGINE = {{engine "AggregatingMergeTree" "usage_host_state" ""}}
ORDER BY (host, evidence, source);

CREATE MATERIALIZED VIEW IF NOT EXISTS {{.DB}}.usage_host_state_mv {{.OnCluster}} TO {{.DB}}.usage_host_state AS
{{template "usage_host_state" .}};
{{dist "usage_host_state" "cityHash64(host)"}}{{if not .Cluster}}
INSERT INTO {{.DB}}.usage_host_state {{template "usage_host_state" .}};
{{end}}

CREATE TABLE IF NOT EXISTS {{.DB}}.usage_actor_state {{.OnCluster}} (
    host      String,
    nhi_id    String,
    kind      String,
    principal String,
    account   String,
    evidence  String,
    actor     String,
    last_used AggregateFunction(max, DateTime),
    source    AggregateFunction(argMax, String, DateTime)
) ENGINE = {{engine "AggregatingMergeTree" "usage_actor_state" ""}}
ORDER BY (host, nhi_id, kind, principal, account, evidence, actor);

CREATE MATERIALIZED VIEW IF NOT EXISTS {{.DB}}.usage_actor_state_mv {{.OnCluster}} TO {{.DB}}.usage_actor_state AS
{{template "usage_actor_state" .}};
{{dist "usage_actor_state" "cityHash64(host)"}}{{if not .Cluster}}
INSERT INTO {{.DB}}.usage_actor_state {{template "usage_actor_state" .}};
{{end}}
