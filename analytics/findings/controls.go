package findings

// controls maps each rule to the frameworks it evidences. One line per
// mapping, with its source.
var controls = map[string][]string{
	Dormant: {
		"OWASP-NHI:NHI1",        // OWASP NHI Top 10 2025, NHI1 Improper Offboarding (unused identities left active)
		"NIST-CSF-2.0:PR.AA-01", // CSF 2.0 PR.AA-01: identities and credentials are managed
		"NIST-800-53:AC-2(3)",   // SP 800-53 r5 AC-2(3): disable accounts after a period of inactivity
		"PCI-DSS-4.0:8.2.6",     // PCI DSS 4.0 8.2.6: inactive accounts removed or disabled within 90 days
		"CIS-AWS:1.12",          // CIS AWS Foundations 1.12: credentials unused for 45 days or more disabled
	},
	Ownerless: {
		"OWASP-NHI:NHI1",        // NHI1: identities without an accountable owner are never offboarded
		"NIST-CSF-2.0:PR.AA-01", // PR.AA-01: identities are managed
		"NIST-800-53:AC-2",      // AC-2: account management, account managers assigned
		"PCI-DSS-4.0:8.6.1",     // PCI DSS 4.0 8.6.1: system/application accounts managed, individual accountability
	},
	OwnerDeparted: {
		"OWASP-NHI:NHI1",        // NHI1 Improper Offboarding: owner left, identity stays
		"NIST-CSF-2.0:PR.AA-01", // PR.AA-01
		"NIST-800-53:AC-2",      // AC-2: accounts reviewed when users transfer or leave
		"PCI-DSS-4.0:7.2.4",     // PCI DSS 4.0 7.2.4: user accounts and access privileges reviewed
		"PCI-DSS-4.0:8.6.1",     // 8.6.1: accountability for system accounts
	},
	LongLived: {
		"OWASP-NHI:NHI7",    // NHI7 Long-Lived Secrets
		"NIST-800-53:IA-5",  // IA-5: authenticator management, change authenticators periodically
		"PCI-DSS-4.0:8.3.9", // PCI DSS 4.0 8.3.9: passwords changed at least every 90 days
		"PCI-DSS-4.0:8.6.3", // 8.6.3: system account passwords changed periodically
		"CIS-AWS:1.14",      // CIS AWS Foundations 1.14: access keys rotated every 90 days or less
	},
	Expired: {
		"OWASP-NHI:NHI7",        // NHI7 Long-Lived Secrets: stale credential still deployed
		"NIST-800-53:IA-5",      // IA-5: authenticator lifetime
		"NIST-CSF-2.0:PR.AA-01", // PR.AA-01
	},
	Expiring: {
		"OWASP-NHI:NHI7",   // NHI7: rotation before expiry
		"NIST-800-53:IA-5", // IA-5: authenticator management
	},
	Reused: {
		"OWASP-NHI:NHI9",        // NHI9 NHI Reuse
		"NIST-800-53:IA-5",      // IA-5: unique authenticators
		"PCI-DSS-4.0:8.6.2",     // PCI DSS 4.0 8.6.2: passwords for system accounts not hard-coded / shared in files
		"NIST-CSF-2.0:PR.AA-01", // PR.AA-01
	},
	CrossEnvironment: {
		"OWASP-NHI:NHI8",   // NHI8 Environment Isolation
		"NIST-800-53:AC-6", // AC-6: least privilege across environments
		"OWASP-NHI:NHI9",   // NHI9 NHI Reuse
	},
	ExposedFile: {
		"OWASP-NHI:NHI2",        // NHI2 Secret Leakage: readable by other users
		"OWASP-NHI:NHI6",        // NHI6 Insecure Cloud Deployment Configurations
		"NIST-800-53:IA-5",      // IA-5(h): protect authenticator content from unauthorised disclosure
		"PCI-DSS-4.0:8.6.2",     // 8.6.2: system account passwords not stored in clear in files
		"NIST-CSF-2.0:PR.AA-01", // PR.AA-01
	},
	SecretInCmdline: {
		"OWASP-NHI:NHI2",    // NHI2 Secret Leakage: visible to every local user in the process table
		"NIST-800-53:IA-5",  // IA-5: protect authenticators
		"PCI-DSS-4.0:8.6.2", // 8.6.2: passwords not hard-coded in scripts or command lines
	},
	HumanUse: {
		"OWASP-NHI:NHI10",       // NHI10 Human Use of NHI
		"NIST-800-53:AC-2",      // AC-2: accounts used only as authorised
		"NIST-CSF-2.0:PR.AA-05", // PR.AA-05: access permissions managed, separation of duties
		"PCI-DSS-4.0:8.6.1",     // 8.6.1: interactive use of system accounts prevented unless exceptional
	},
	Overprivileged: {
		"OWASP-NHI:NHI5",        // NHI5 Overprivileged NHI
		"NIST-800-53:AC-6",      // AC-6: least privilege
		"NIST-CSF-2.0:PR.AA-05", // PR.AA-05: least privilege
		"PCI-DSS-4.0:7.2.5",     // PCI DSS 4.0 7.2.5: system accounts least privileges necessary
	},
}

// Controls returns the control ids a rule evidences.
func Controls(rule string) []string { return append([]string(nil), controls[rule]...) }

// RuleIndex is rule's place in Rules(), -1 for no rule.
func RuleIndex(rule string) int {
	if i, ok := ruleIndex[rule]; ok {
		return i
	}
	return -1
}

var ruleIndex = func() map[string]int {
	out := map[string]int{}
	for i, r := range Rules() {
		out[r] = i
	}
	return out
}()

// Rules lists every rule, in the contract's order.
func Rules() []string {
	return []string{Dormant, Ownerless, OwnerDeparted, LongLived, Expired, Expiring, Reused,
		CrossEnvironment, ExposedFile, SecretInCmdline, HumanUse, Overprivileged}
}
