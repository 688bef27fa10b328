-- Every active finding with its evidence and the controls it violates, worst first.
SELECT rule, principal, severity, state, hosts, evidence, controls
FROM findings FINAL
WHERE state NOT IN ('resolved', 'accepted')
ORDER BY multiIf(severity = 'critical', 0, severity = 'high', 1, severity = 'medium', 2, 3), rule, principal
