{{define "sourced_attr_state"}}SELECT
    host, nhi_id, location,
    argMaxState(attr_keys, time)   AS keys,
    argMaxState(attr_values, time) AS values,
    maxState(time)                 AS last_seen
FROM {{.DB}}.events
WHERE type = 'nhi_observed' AND has(attr_keys, 'source')
GROUP BY host, nhi_id, location{{end}}
-- attr_state of the observations that say where in a unit, crontab or
-- process a secret was found (attrs.source), which secret_in_command_line
-- reads: the latest of those decides, so a file scan of the same path that
-- says nothing of a source no longer hides a secret on an ExecStart= line
-- until the next unit scan, and the rule merges the states of a
-- fifteenth of the locations of attr_state on the benchmark fleet
-- (packaging/bench/analytics.sh), whose flagged locations sit in every
-- granule. A secret moved from ExecStart= to Environment= still says so.
-- Its states are named keys and values, not attr_keys and attr_values:
-- 18.16 reads an alias named as a column in WHERE as the alias.
CREATE TABLE IF NOT EXISTS {{.DB}}.sourced_attr_state {{.OnCluster}} (
    host        String,
    nhi_id      String,
    location    String,
    keys        AggregateFunction(argMax, Array(String), DateTime),
    values      AggregateFunction(argMax, Array(String), DateTime),
    last_seen   AggregateFunction(max, DateTime)
) ENGINE = {{engine "AggregatingMergeTree" "sourced_attr_state" ""}}
ORDER BY (host, nhi_id, location);

CREATE MATERIALIZED VIEW IF NOT EXISTS {{.DB}}.sourced_attr_state_mv {{.OnCluster}} TO {{.DB}}.sourced_attr_state AS
{{template "sourced_attr_state" .}};
{{dist "sourced_attr_state" "cityHash64(host)"}}{{if not .Cluster}}
INSERT INTO {{.DB}}.sourced_attr_state {{template "sourced_attr_state" .}};
{{else}}
-- On a cluster, once through the Distributed tables (as 0019): argMax and
-- max states merge to the same answer when the view already wrote a row.
INSERT INTO {{.DB}}.sourced_attr_state_all SELECT
    host, nhi_id, location,
    argMaxState(attr_keys, time), argMaxState(attr_values, time), maxState(time)
FROM {{.DB}}.events_all
WHERE type = 'nhi_observed' AND has(attr_keys, 'source')
GROUP BY host, nhi_id, location;
{{end}}
