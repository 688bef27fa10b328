-- On a cluster, migration 0018 created location_flag_state without the
-- history scanned before it (its backfill ran on a single server only), so
-- a location flagged before the upgrade counted only once a scan observed
-- it again. This writes that history once through the Distributed tables,
-- with 0018's conditions; max states merge to the same answer where the
-- view already wrote a row. A single server has nothing to do.
{{if .Cluster}}
INSERT INTO {{.DB}}.location_flag_state_all SELECT
    flag, host, nhi_id, location, maxState(time) AS last_flagged
FROM {{.DB}}.events_all
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
{{end}}
