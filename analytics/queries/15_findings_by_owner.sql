-- Active findings by owner and severity: who has the most to fix (run nhictl analyze first).
SELECT if(owner = '', concat('(', owner_status, ')'), owner) AS who, severity, count() AS findings, groupUniqArray(rule) AS rules
FROM findings FINAL
WHERE state NOT IN ('resolved', 'accepted')
GROUP BY who, severity
ORDER BY findings DESC, who, severity
