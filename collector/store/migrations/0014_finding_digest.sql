-- A digest of each finding row's content (everything but last_detected):
-- an analysis compares it with what it would write and rewrites only the
-- findings that changed, so it need not hold every stored finding's
-- evidence in memory. Rows from before have 0 and are rewritten once.
ALTER TABLE {{.DB}}.findings {{.OnCluster}} ADD COLUMN digest UInt64 AFTER policy;
{{if .Cluster}}-- A Distributed table cannot be altered ON CLUSTER where the shards
-- replicate (18.16): it holds no rows of its own, so it is made again.
DROP TABLE IF EXISTS {{.DB}}.findings_all {{.OnCluster}};
{{end}}{{dist "findings" "cityHash64(finding_id)"}}
