package policy

// The YAML shape of policy.yaml, decoded strictly (unknown keys are errors).

type fileYAML struct {
	Version      *int                         `yaml:"version"`
	Profile      string                       `yaml:"profile"`
	Environments map[string][]string          `yaml:"environments"`
	Owners       ownersYAML                   `yaml:"owners"`
	Thresholds   *located[thresholdsYAML]     `yaml:"thresholds"`
	Overrides    []located[overrideYAML]      `yaml:"overrides"`
	Rules        map[string]located[ruleYAML] `yaml:"rules"`
	Exceptions   exceptionsYAML               `yaml:"exceptions"`
	Ticketing    *located[Ticketing]          `yaml:"ticketing"`
}

type ownersYAML struct {
	Directory string                   `yaml:"directory"`
	Rules     []located[ownerRuleYAML] `yaml:"rules"`
}

type ownerRuleYAML struct {
	Match matchYAML `yaml:"match"`
	Owner string    `yaml:"owner"`
}

// matchYAML selects identities; every key given must match (globs, `**` crosses `/`).
type matchYAML struct {
	Host      string `yaml:"host"`
	Path      string `yaml:"path"`
	Principal string `yaml:"principal"`
	Kind      string `yaml:"kind"`
	Account   string `yaml:"account"`
	Namespace string `yaml:"namespace"`
}

type thresholdsYAML struct {
	DormantAfter   *Duration `yaml:"dormant_after"`
	NeverUsedAfter *Duration `yaml:"never_used_after"`
	MaxAge         *Duration `yaml:"max_age"`
	MaxPasswordAge *Duration `yaml:"max_password_age"`
	ExpiringWithin *Duration `yaml:"expiring_within"`
	ReviewEvery    *Duration `yaml:"review_every"`
	ReuseMaxHosts  *int      `yaml:"reuse_max_hosts"`
}

type overrideYAML struct {
	Environment string         `yaml:"environment"`
	Kind        string         `yaml:"kind"`
	Thresholds  thresholdsYAML `yaml:"thresholds"`
}

type ruleYAML struct {
	Severity string `yaml:"severity"`
	When     *expr  `yaml:"when"`
	Enabled  *bool  `yaml:"enabled"`
}

type exceptionsYAML struct {
	Approvers []string                 `yaml:"approvers"`
	List      []located[exceptionYAML] `yaml:"list"`
}

type exceptionYAML struct {
	Rule     string    `yaml:"rule"`
	Match    matchYAML `yaml:"match"`
	Reason   string    `yaml:"reason"`
	Approver string    `yaml:"approver"`
	Expires  string    `yaml:"expires"`
}

// Ticketing says where tickets go; the ticketing stage reads it.
type Ticketing struct {
	// System is local (default), webhook, servicenow, jira or rt.
	System string `yaml:"system"`
	// URL of the external system (not for local).
	URL string `yaml:"url"`
	// Project is the Jira project or RT queue family, when the system has one.
	Project string `yaml:"project"`
	// GroupByOwner puts an owner's findings of one rule into one ticket.
	GroupByOwner bool `yaml:"group_by_owner"`
	// DefaultQueue is the queue / assignment group when nothing below matches.
	DefaultQueue string `yaml:"default_queue"`
	// QueueByOwner: directory id -> queue; checked before QueueByEnvironment.
	QueueByOwner map[string]string `yaml:"queue_by_owner"`
	// QueueByEnvironment: environment -> queue.
	QueueByEnvironment map[string]string `yaml:"queue_by_environment"`
	// QueueBySeverity: severity -> queue, after owner and environment.
	QueueBySeverity map[string]string `yaml:"queue_by_severity"`
	// ReviewPerIdentity files one recertification ticket per identity
	// instead of one per reviewer.
	ReviewPerIdentity bool `yaml:"review_per_identity"`
	// NoResponse is what an unanswered review counts as: no_response (the
	// default: never a silent certification) or revoke.
	NoResponse string `yaml:"no_response"`
	// Priority: severity -> the system's priority (e.g. "P1", "1 - Critical").
	Priority map[string]string `yaml:"priority"`
	// DueDays: severity -> days until the ticket is due.
	DueDays map[string]int `yaml:"due_days"`
}
