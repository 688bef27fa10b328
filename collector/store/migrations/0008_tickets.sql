-- Tickets: NHI Radar's own record of every ticket, whatever system holds
-- it (one current row per ticket_id: ReplacingMergeTree on version, read
-- with FINAL), every transition for audit, and the local ticket system the
-- collector keeps itself (worked with nhictl tickets close|reopen|comment).
CREATE TABLE IF NOT EXISTS {{.DB}}.tickets {{.OnCluster}} (
    ticket_id   String,
    version     UInt64,
    system      String,
    external_id String,
    url         String,
    type        String,
    finding_ids Array(String),
    state       String,
    owner       String,
    queue       String,
    priority    String,
    severity    String,
    due         DateTime,
    title       String,
    opened_at   DateTime,
    closed_at   DateTime,
    resolution  String,
    updated_at  DateTime
) ENGINE = {{engine "ReplacingMergeTree" "tickets" "version"}}
ORDER BY ticket_id;
{{dist "tickets" "cityHash64(ticket_id)"}}
CREATE TABLE IF NOT EXISTS {{.DB}}.ticket_events {{.OnCluster}} (
    ticket_id  String,
    at         DateTime,
    from_state String,
    to_state   String,
    why        String,
    by         String
) ENGINE = {{engine "MergeTree" "ticket_events" ""}}
ORDER BY (ticket_id, at);
{{dist "ticket_events" "cityHash64(ticket_id)"}}
CREATE TABLE IF NOT EXISTS {{.DB}}.local_tickets {{.OnCluster}} (
    external_id String,
    version     UInt64,
    key         String,
    type        String,
    title       String,
    body        String,
    priority    String,
    queue       String,
    due         DateTime,
    labels      Array(String),
    state       String,
    resolution  String,
    created_at  DateTime,
    updated_at  DateTime
) ENGINE = {{engine "ReplacingMergeTree" "local_tickets" "version"}}
ORDER BY external_id;
{{dist "local_tickets" "cityHash64(external_id)"}}
CREATE TABLE IF NOT EXISTS {{.DB}}.local_ticket_notes {{.OnCluster}} (
    external_id String,
    at          DateTime,
    author      String,
    kind        String,
    text        String
) ENGINE = {{engine "MergeTree" "local_ticket_notes" ""}}
ORDER BY (external_id, at);
{{dist "local_ticket_notes" "cityHash64(external_id)"}}
