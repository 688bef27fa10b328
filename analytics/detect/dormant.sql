-- How far back each usage source of each host reaches, by evidence type:
-- the span its records cover in full scans (scan.coverage) and, for
-- sources that report no coverage, the earliest and latest use they have
-- reported; a source that gives both spans the wider. Sorted, so that the
-- first source found covering an identity is the same in every run.
SELECT host, evidence, source, min(first_used), max(last_used)
FROM (
    SELECT host, evidence, source, minMerge(first_used) AS first_used, maxMerge(last_used) AS last_used
    FROM {usage_host_state}
    GROUP BY host, evidence, source
    UNION ALL
    SELECT host, evidence, source, minMerge(covered_from) AS first_used, maxMerge(covered_to) AS last_used
    FROM {coverage_state}
    GROUP BY host, evidence, source
)
GROUP BY host, evidence, source
ORDER BY host, evidence, source
