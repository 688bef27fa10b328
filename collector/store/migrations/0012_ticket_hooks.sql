-- Ticket systems that can push (a ServiceNow business rule, a Jira or RT
-- webhook, the webhook receiver's callback) tell the collector a ticket
-- changed: the analyser's next round then polls at once instead of at
-- its interval.
CREATE TABLE IF NOT EXISTS {{.DB}}.ticket_hooks {{.OnCluster}} (
    system      String,
    external_id String,
    state       String,
    at          DateTime DEFAULT now()
) ENGINE = {{engine "MergeTree" "ticket_hooks" ""}}
ORDER BY (system, external_id, at);
{{dist "ticket_hooks" "cityHash64(external_id)"}}
