-- Heartbeats in typed columns instead of a JSON string parsed in SQL: the
-- views no longer depend on the order of the agent's struct fields, and
-- nested fields (plugins, budget) cannot be taken for top-level ones.
-- Rows stored before this migration compute the scalars from their JSON
-- (a DEFAULT is evaluated for parts that lack the column); their ips and
-- plugin lists, which visitParamExtract cannot read, stay empty.
-- One ALTER for all of them: on a cluster each ALTER ... ON CLUSTER is a
-- distributed DDL task, and 18.16's replicas race on a replicated table's
-- ALTER tasks (one applies it, the other finds the column there, fails
-- to mark the task done and stops taking tasks), so fewer tasks, fewer races.
ALTER TABLE {{.DB}}.events {{.OnCluster}}
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
{{if .Cluster}}DROP TABLE IF EXISTS {{.DB}}.events_all {{.OnCluster}};
{{end}}{{dist "events" "cityHash64(event_id)"}}
-- The agents' state from the typed columns. Heartbeats stored while the
-- view is recreated are missed by agent_state until the agent's next one.
{{define "agent_state"}}SELECT
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
FROM {{.DB}}.events
WHERE type = 'agent_heartbeat'
GROUP BY agent_id{{end}}
DROP TABLE IF EXISTS {{.DB}}.agent_state_mv {{.OnCluster}};
CREATE MATERIALIZED VIEW IF NOT EXISTS {{.DB}}.agent_state_mv {{.OnCluster}} TO {{.DB}}.agent_state AS
{{template "agent_state" .}};
