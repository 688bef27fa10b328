-- Where the latest complete full scans still list each identity
-- (identity_presence); an identity without a row is present nowhere.
SELECT nhi_id, still_present, arraySort(present_hosts)
FROM {identity_presence}
