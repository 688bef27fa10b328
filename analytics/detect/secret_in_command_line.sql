-- Identities found on a command line: the processes plugin sets
-- attrs.source = cmdline (process arguments); exec_start and cron_command
-- are read too, for plugins that say a secret came from a unit's ExecStart=
-- or a cron line. Only locations location_flag_state ever flagged so are
-- merged, from the observations that say where a secret was found
-- (sourced_attr_state); the latest of those decide (a secret moved from
-- ExecStart= to Environment= keeps its location and no longer fires).
SELECT host, nhi_id, location, attr_keys, attr_values
FROM (
    SELECT host, nhi_id, location, argMaxMerge(keys) AS attr_keys, argMaxMerge(values) AS attr_values
    FROM {sourced_attr_state}
    WHERE (host, nhi_id, location) GLOBAL IN (
        SELECT host, nhi_id, location FROM {location_flag_state} WHERE flag = 'cmdline')
    GROUP BY host, nhi_id, location
)
WHERE attr_values[indexOf(attr_keys, 'source')] IN ('cmdline', 'process_args', 'exec_start', 'cron_command')
