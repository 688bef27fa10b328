// Package collector holds the central side of NHI Radar: nhi-collector reads
// events from Kafka (ingest), validates them, stores them in ClickHouse
// (store) and commits offsets only once they are stored.
//
// Subpackages: ingest (consumer group, batching, dead letters, metrics),
// store (the connection, schema migrations) with store/eventdb (inserts),
// store/inventory (the read model), store/findingdb and store/ticketdb (the
// governance tables), admin (/healthz, /readyz, /metrics) and synth
// (realistic events for fault tests and benchmarks).
//
// Operating it: `nhi-collector migrate` creates or upgrades the schema (run
// also on start); `nhi-collector run` consumes until SIGTERM, then stores and
// commits what it fetched. Flags may come from a YAML file (--config, see
// docs/CONFIGURATION.md) or NHI_* environment variables. Several
// collectors with the same --group share the topic's partitions. --cluster
// switches the DDL to ON CLUSTER with Replicated engines and Distributed
// tables (events_all, …), and inserts go through events_all.
package collector
