-- How far back each usage source of each host reaches: the earliest and
-- latest use it has reported, by evidence type.
SELECT host, evidence, source, minMerge(first_used) AS first_used, maxMerge(last_used) AS last_used
FROM {usage_host_state}
GROUP BY host, evidence, source
ORDER BY host, evidence, source
