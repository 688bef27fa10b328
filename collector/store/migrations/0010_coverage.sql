{{define "coverage_state"}}SELECT
    host, cov_evidence AS evidence, cov_source AS source,
    minState(cov_from) AS covered_from,
    maxState(cov_to)   AS covered_to
FROM {{.DB}}.events
ARRAY JOIN scan_coverage_source AS cov_source, scan_coverage_evidence AS cov_evidence,
    scan_coverage_from AS cov_from, scan_coverage_to AS cov_to
WHERE type = 'scan_completed'
GROUP BY host, evidence, source{{end}}
-- How far back each usage source of each host reaches (scan.coverage):
-- absence of evidence counts only where a source could have seen it.
ALTER TABLE {{.DB}}.events {{.OnCluster}} ADD COLUMN scan_coverage_source Array(String) AFTER scan_unreadable;
ALTER TABLE {{.DB}}.events {{.OnCluster}} ADD COLUMN scan_coverage_evidence Array(String) AFTER scan_coverage_source;
ALTER TABLE {{.DB}}.events {{.OnCluster}} ADD COLUMN scan_coverage_from Array(DateTime) AFTER scan_coverage_evidence;
ALTER TABLE {{.DB}}.events {{.OnCluster}} ADD COLUMN scan_coverage_to Array(DateTime) AFTER scan_coverage_from;
{{if .Cluster}}DROP TABLE IF EXISTS {{.DB}}.events_all {{.OnCluster}};
{{end}}{{dist "events" "cityHash64(event_id)"}}
CREATE TABLE IF NOT EXISTS {{.DB}}.coverage_state {{.OnCluster}} (
    host         String,
    evidence     String,
    source       String,
    covered_from AggregateFunction(min, DateTime),
    covered_to   AggregateFunction(max, DateTime)
) ENGINE = {{engine "AggregatingMergeTree" "coverage_state" ""}}
ORDER BY (host, evidence, source);

CREATE MATERIALIZED VIEW IF NOT EXISTS {{.DB}}.coverage_state_mv {{.OnCluster}} TO {{.DB}}.coverage_state AS
{{template "coverage_state" .}};
{{dist "coverage_state" "cityHash64(host)"}}
