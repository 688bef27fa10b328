-- 0001_events
CREATE TABLE IF NOT EXISTS nhi.events  (
    event_id        String,
    type            LowCardinality(String),
    schema_version  UInt8,
    agent_id        String,
    host            String,
    time            DateTime,
    plugin          LowCardinality(String),
    scan_id         String,
    nhi_id          String,
    kind            LowCardinality(String),
    principal       String,
    fingerprint     String,
    location        String,
    key             String,
    file_owner      String,
    file_mode       String,
    account         String,
    modified_at     DateTime,
    created_at      DateTime,
    expires_at      DateTime,
    owner_hints     Array(String),
    attr_keys       Array(String),
    attr_values     Array(String),
    evidence        LowCardinality(String),
    source          String,
    used_at         DateTime,
    actor           String,
    scan_full       UInt8,
    scan_started_at DateTime,
    scan_seen       Array(String),
    scan_part       UInt16,
    scan_parts      UInt16,
    scan_errors     UInt32,
    heartbeat       String,
    ingested_at     DateTime DEFAULT now()
) ENGINE = ReplacingMergeTree()
PARTITION BY toYYYYMM(time)
ORDER BY (type, host, event_id)
TTL time + INTERVAL 90 DAY;

-- 0002_inventory
CREATE VIEW IF NOT EXISTS nhi.nhi_inventory  AS
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
FROM nhi.events
WHERE type = 'nhi_observed'
GROUP BY nhi_id;

