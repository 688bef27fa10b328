// Package agent holds the host side of NHI Radar: the nhi-agent that runs
// discovery plugins, keeps their events in a durable spool and publishes them
// to Kafka. Run wires its stages together:
//
//	schedule → pluginhost → scan → spool → publish
//
// under the budgets of selflimit, with a heartbeat every interval. config
// reads the agent's file, service installs and runs it as a system service,
// orgkey loads the fingerprint key for one-shot scans.
package agent
