-- One row per identity: what it is, where it sits, when it was first and last
-- seen. Grouping by nhi_id makes re-delivered events harmless.
CREATE VIEW IF NOT EXISTS {{.DB}}.nhi_inventory {{.OnCluster}} AS
SELECT
    nhi_id,
    any(kind)                  AS kind,
    any(principal)             AS principal,
    any(fingerprint)           AS fingerprint,
    groupUniqArray(host)       AS hosts,
    groupUniqArray(location)   AS locations,
    groupUniqArrayIf(account, account != '') AS accounts,
    min(time)                  AS first_seen,
    max(time)                  AS last_seen,
    max(expires_at)            AS expires_at
FROM {{.DB}}.events
WHERE type = 'nhi_observed'
GROUP BY nhi_id
