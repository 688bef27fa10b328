-- Ownerless: no owner hint, no account and no file owner to ask.
SELECT kind, principal, hosts, locations
FROM nhi_inventory
WHERE still_present = 1 AND empty(owner_hints) AND empty(accounts) AND empty(file_owners)
ORDER BY kind, principal
