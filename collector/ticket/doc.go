// Package ticket is the ITSM execution layer's connector contract: a rendered
// ticket Request, the Ticket state a remote system reports back, the small
// Connector interface every integration (webhook, servicenow, jira, rt, local)
// implements, one Classify function that turns HTTP answers into
// retry-or-not errors, and a Retrier that honours them.
//
// Connectors see a rendered Request, never a finding or the store, and they do
// not retry by themselves: the executor wraps each call in a Retrier, and calls
// Find before Create so a retried create does not duplicate a ticket.
// Credentials travel only in the Authorization header (or, for the webhook, as
// the HMAC key); errors never carry request bodies or credentials.
package ticket
