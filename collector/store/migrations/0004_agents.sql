-- One row per agent from its heartbeats: when it first and last reported,
-- its version and the health it last reported (spool depth, drops). The
-- states are idempotent, so re-delivered heartbeats change nothing.
{{define "agent_state"}}SELECT
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
FROM {{.DB}}.events
WHERE type = 'agent_heartbeat'
GROUP BY agent_id{{end}}
CREATE TABLE IF NOT EXISTS {{.DB}}.agent_state {{.OnCluster}} (
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
) ENGINE = {{engine "AggregatingMergeTree" "agent_state" ""}}
ORDER BY agent_id;

CREATE MATERIALIZED VIEW IF NOT EXISTS {{.DB}}.agent_state_mv {{.OnCluster}} TO {{.DB}}.agent_state AS
{{template "agent_state" .}};
{{dist "agent_state" "cityHash64(agent_id)"}}{{if not .Cluster}}
-- Backfill from heartbeats stored before the view existed.
INSERT INTO {{.DB}}.agent_state {{template "agent_state" .}};
{{end}}

CREATE VIEW IF NOT EXISTS {{.DB}}.agents {{.OnCluster}} AS
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
FROM {{src "agent_state"}}
GROUP BY agent_id;
