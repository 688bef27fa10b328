-- Recertification: the identities a review ticket (or a revocation it
-- decided) is about, and every review decision — certify, revoke,
-- no_response — with who and when, for audit and the next due date.
ALTER TABLE {{.DB}}.tickets {{.OnCluster}} ADD COLUMN nhi_ids Array(String) AFTER finding_ids;
{{if .Cluster}}DROP TABLE IF EXISTS {{.DB}}.tickets_all {{.OnCluster}};
{{end}}{{dist "tickets" "cityHash64(ticket_id)"}}
CREATE TABLE IF NOT EXISTS {{.DB}}.review_decisions {{.OnCluster}} (
    nhi_id    String,
    decision  String,
    by        String,
    at        DateTime,
    ticket_id String,
    note      String
) ENGINE = {{engine "MergeTree" "review_decisions" ""}}
ORDER BY (nhi_id, at);
{{dist "review_decisions" "cityHash64(nhi_id)"}}
