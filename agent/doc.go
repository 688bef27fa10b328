// Package agent holds the host side of NHI Radar: the nhi-agent that runs
// discovery plugins, keeps their events in a durable spool and publishes them
// to Kafka. Its subpackages are the stages an event passes through: scan runs
// the plugins and completes each event's envelope, publish sends events to
// Kafka.
package agent
