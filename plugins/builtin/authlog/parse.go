package authlog

import (
	"regexp"
	"strings"
	"time"
)

// Use is one proof of use found in a log line.
type Use struct {
	// Evidence is ssh_login, sudo or su.
	Evidence string
	// Account is the account logged into or switched to.
	Account string
	// KeyFingerprint is the SHA256 fingerprint of the key a publickey
	// login used ("" for other methods).
	KeyFingerprint string
	KeyType        string
	// Method is the SSH authentication method, or the command run by sudo.
	Method string
	// Actor is the login's source address or the user who ran sudo/su.
	Actor string
	When  time.Time
}

// Line is one syslog record: program name (without pid) and message.
type Line struct {
	When    time.Time
	Program string
	Message string
}

var (
	sshAccepted = regexp.MustCompile(`^Accepted (\S+) for (\S+) from (\S+) port \d+(?: ssh2)?(?:: (\S+) (SHA256:[A-Za-z0-9+/=]+))?`)
	suTo        = regexp.MustCompile(`^\(to (\S+)\) (\S+) on \S+$`)
	suOld       = regexp.MustCompile(`^Successful su for (\S+) by (\S+)$`)
	suPam       = regexp.MustCompile(`^pam_unix\(su(?:-l)?:session\): session opened for user ([^(\s]+)(?:\(uid=\d+\))? by ([^(\s]*)`)
)

// ParseMessage returns the use a syslog message proves, if any. Failed
// attempts, denied sudo commands and session bookkeeping prove nothing.
func ParseMessage(l Line) (Use, bool) {
	switch l.Program {
	case "sshd", "sshd-session":
		m := sshAccepted.FindStringSubmatch(l.Message)
		if m == nil {
			return Use{}, false
		}
		return Use{Evidence: "ssh_login", Method: m[1], Account: m[2], Actor: m[3], KeyType: m[4], KeyFingerprint: m[5], When: l.When}, true
	case "sudo":
		return parseSudo(l)
	case "su":
		for _, re := range []*regexp.Regexp{suTo, suOld} {
			if m := re.FindStringSubmatch(l.Message); m != nil {
				return Use{Evidence: "su", Account: m[1], Actor: m[2], When: l.When}, true
			}
		}
		if m := suPam.FindStringSubmatch(l.Message); m != nil && m[2] != "" {
			return Use{Evidence: "su", Account: m[1], Actor: m[2], When: l.When}, true
		}
	}
	return Use{}, false
}

// parseSudo reads "alice : TTY=pts/0 ; PWD=/home/alice ; USER=jenkins ;
// COMMAND=/bin/bash". A denied command has a reason before TTY=.
func parseSudo(l Line) (Use, bool) {
	user, rest, ok := strings.Cut(strings.TrimSpace(l.Message), " : ")
	if !ok || strings.Contains(user, " ") {
		return Use{}, false
	}
	fields := strings.Split(rest, " ; ")
	if len(fields) == 0 || !strings.HasPrefix(fields[0], "TTY=") {
		return Use{}, false
	}
	u := Use{Evidence: "sudo", Actor: user, When: l.When}
	for _, f := range fields {
		if v, ok := strings.CutPrefix(f, "USER="); ok {
			u.Account = v
		}
		if v, ok := strings.CutPrefix(f, "COMMAND="); ok {
			u.Method = v
		}
	}
	return u, u.Account != ""
}

// syslogStamp is the traditional syslog timestamp, which has no year.
const syslogStamp = "Jan _2 15:04:05"

// ParseSyslog splits a log file line: a traditional ("Jun 18 09:12:44") or
// RFC 3339 timestamp, the host, "program[pid]:" and the message. The year
// of a traditional timestamp is now's, or the year before when that would
// put the line more than a day after now. Times without a zone are in loc,
// the host's zone (see hostLocation).
func ParseSyslog(line string, now time.Time, loc *time.Location) (Line, bool) {
	var when time.Time
	var rest string
	if len(line) > len(syslogStamp) && line[3] == ' ' {
		t, err := time.Parse(syslogStamp, line[:len(syslogStamp)])
		if err != nil {
			return Line{}, false
		}
		when = time.Date(now.Year(), t.Month(), t.Day(), t.Hour(), t.Minute(), t.Second(), 0, loc).UTC()
		if when.After(now.Add(24 * time.Hour)) {
			when = when.AddDate(-1, 0, 0)
		}
		rest = line[len(syslogStamp):]
	} else {
		stamp, r, ok := strings.Cut(line, " ")
		t, err := time.Parse(time.RFC3339Nano, stamp)
		if !ok || err != nil {
			return Line{}, false
		}
		when, rest = t.UTC(), r
	}
	fields := strings.SplitN(strings.TrimSpace(rest), " ", 3)
	if len(fields) < 3 || !strings.HasSuffix(fields[1], ":") {
		return Line{}, false
	}
	prog := strings.TrimSuffix(fields[1], ":")
	if i := strings.IndexByte(prog, '['); i >= 0 {
		prog = prog[:i]
	}
	return Line{When: when, Program: prog, Message: fields[2]}, true
}
