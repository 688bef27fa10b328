-- Every policy an analysis has run under, by digest: a change of policy
-- makes the certified identities' reviews due early.
CREATE TABLE IF NOT EXISTS {{.DB}}.policy_versions {{.OnCluster}} (
    digest String,
    file   String,
    at     DateTime
) ENGINE = {{engine "MergeTree" "policy_versions" ""}}
ORDER BY (digest, at);
{{dist "policy_versions" "cityHash64(digest)"}}
