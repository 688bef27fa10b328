-- Hosts holding the most identities.
SELECT host, count() AS identities, groupUniqArray(kind) AS kinds
FROM nhi_inventory
ARRAY JOIN hosts AS host
GROUP BY host
ORDER BY identities DESC, host
LIMIT 20
