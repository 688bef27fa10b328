-- Events by type. uniqExact(event_id) counts each event once even before
-- ClickHouse has merged away a batch that Kafka delivered twice; rows_stored
-- shows how many rows are on disk right now.
SELECT type, uniqExact(event_id) AS events, count() AS rows_stored, min(time) AS first, max(time) AS last
FROM events
GROUP BY type
ORDER BY type
