{{define "location_flag_state"}}SELECT
    flag, host, nhi_id, location, maxState(time) AS last_flagged
FROM {{.DB}}.events
ARRAY JOIN arrayFilter(f -> f != '', [
    if(location != '' AND (match(file_mode, '[4-7].?$')
        OR (file_owner != '' AND account != '' AND file_owner != account AND file_owner != 'root')), 'exposed', ''),
    if(attr_values[indexOf(attr_keys, 'source')] IN ('cmdline', 'process_args', 'exec_start', 'cron_command'), 'cmdline', ''),
    if(kind = 'os_service_account' AND (attr_values[indexOf(attr_keys, 'uid')] = '0'
        OR attr_values[indexOf(attr_keys, 'sudo_nopasswd')] = 'true'
        OR match(attr_values[indexOf(attr_keys, 'groups')], 'sudo|wheel|docker|admin')), 'privileged', '')
]) AS flag
WHERE type = 'nhi_observed'
GROUP BY flag, host, nhi_id, location{{end}}
-- Which locations ever showed a risk the per-location detectors judge: a
-- file readable by group or others or owned by another account
-- (exposed_file), a secret on a command line (secret_in_command_line), a
-- service account with uid 0, NOPASSWD sudo or an admin group
-- (overprivileged). The conditions are wider than the detectors' own; the
-- detectors still decide on the latest facts (file_meta_state,
-- attr_state), but merge those only for the flagged locations: merging
-- every location's states of a fleet of 5,000 hosts to find the few that
-- matter cost more than asking raw events (packaging/bench/analytics.sh).
-- A location stays flagged after it is fixed, so its finding is resolved
-- with the facts that show the fix.
CREATE TABLE IF NOT EXISTS {{.DB}}.location_flag_state {{.OnCluster}} (
    flag         String,
    host         String,
    nhi_id       String,
    location     String,
    last_flagged AggregateFunction(max, DateTime)
) ENGINE = {{engine "AggregatingMergeTree" "location_flag_state" ""}}
ORDER BY (flag, host, nhi_id, location);

CREATE MATERIALIZED VIEW IF NOT EXISTS {{.DB}}.location_flag_state_mv {{.OnCluster}} TO {{.DB}}.location_flag_state AS
{{template "location_flag_state" .}};
{{dist "location_flag_state" "cityHash64(host)"}}{{if not .Cluster}}
INSERT INTO {{.DB}}.location_flag_state {{template "location_flag_state" .}};
{{end}}
