// Package collector holds the central side of NHI Radar: nhi-collector reads
// events from Kafka (ingest), validates them, stores them in ClickHouse
// (store) and commits offsets only once they are stored.
package collector
