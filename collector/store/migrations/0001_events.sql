-- Every valid event as it arrived, one typed column per wire field.
-- ReplacingMergeTree keyed on the event id: a batch that Kafka delivers twice
-- collapses to one row when parts merge, and every query that must not count
-- twice groups by event_id or identity (see README "Querying").
CREATE TABLE IF NOT EXISTS {{.DB}}.events {{.OnCluster}} (
    event_id        String,
    type            {{lc "String"}},
    schema_version  UInt8,
    agent_id        String,
    host            String,
    time            DateTime,
    plugin          {{lc "String"}},
    scan_id         String,
    nhi_id          String,
    kind            {{lc "String"}},
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
    evidence        {{lc "String"}},
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
) ENGINE = {{engine "ReplacingMergeTree" "events" ""}}
PARTITION BY toYYYYMM(time)
ORDER BY (type, host, event_id)
{{ttl "time"}}
