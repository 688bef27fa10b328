package accounts

// What one file of each kind can legitimately hold. A file past its limit
// is read up to it and reported; a line past its limit is skipped and
// reported, and parsing goes on after it.
const (
	// maxConfigFile bounds login.defs, sudoers and its includes, unit files
	// and crontabs.
	maxConfigFile = 4 << 20
	// maxLine bounds a line of those files.
	maxLine = 64 << 10
	// maxGroupFile and maxGroupLine allow a group of many thousand members.
	maxGroupFile = 64 << 20
	maxGroupLine = 4 << 20
	// maxProcStat bounds /proc/PID/stat.
	maxProcStat = 64 << 10
)
