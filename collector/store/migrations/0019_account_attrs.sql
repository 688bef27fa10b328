{{define "account_attr_state"}}SELECT
    host, nhi_id, location,
    argMaxState(attr_keys, time)   AS attr_keys,
    argMaxState(attr_values, time) AS attr_values,
    maxState(time)                 AS last_seen
FROM {{.DB}}.events
WHERE type = 'nhi_observed' AND kind = 'os_service_account'
GROUP BY host, nhi_id, location{{end}}
-- attr_state of the OS service accounts alone (uid, groups, sudo rules),
-- which overprivileged reads. Merging attr_state's argMax states of
-- arrays costs a few microseconds a row, and the flagged accounts of a
-- fleet sit in every granule, so reading them there read every secret's
-- attrs too: a twelfth of the rows on the benchmark fleet
-- (packaging/bench/analytics.sh). An identity's kind never changes, so
-- the table sees every event of every account, a fix included.
CREATE TABLE IF NOT EXISTS {{.DB}}.account_attr_state {{.OnCluster}} (
    host        String,
    nhi_id      String,
    location    String,
    attr_keys   AggregateFunction(argMax, Array(String), DateTime),
    attr_values AggregateFunction(argMax, Array(String), DateTime),
    last_seen   AggregateFunction(max, DateTime)
) ENGINE = {{engine "AggregatingMergeTree" "account_attr_state" ""}}
ORDER BY (host, nhi_id, location);

CREATE MATERIALIZED VIEW IF NOT EXISTS {{.DB}}.account_attr_state_mv {{.OnCluster}} TO {{.DB}}.account_attr_state AS
{{template "account_attr_state" .}};
{{dist "account_attr_state" "cityHash64(host)"}}{{if not .Cluster}}
INSERT INTO {{.DB}}.account_attr_state {{template "account_attr_state" .}};
{{else}}
-- On a cluster, once through the Distributed tables: the accounts'
-- findings are decided from this table alone, so it must hold what was
-- scanned before the upgrade. argMax and max states merge to the same
-- answer when the view has already written a row the backfill writes too.
INSERT INTO {{.DB}}.account_attr_state_all SELECT
    host, nhi_id, location,
    argMaxState(attr_keys, time), argMaxState(attr_values, time), maxState(time)
FROM {{.DB}}.events_all
WHERE type = 'nhi_observed' AND kind = 'os_service_account'
GROUP BY host, nhi_id, location;
{{end}}
