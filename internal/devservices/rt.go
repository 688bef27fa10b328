package devservices

import (
	"bufio"
	"bytes"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// RT is a running Request Tracker 5 (packaging/dev/services.sh up-rt) and
// its API user nhi-radar, which REST2 accepts with the auth token
// ("Authorization: token …") or with basic auth and the password, and a
// user that may only read the queue (basic auth), for permission errors.
type RT struct {
	URL            string // web root; REST2 is below URL/REST/2.0/
	User           string
	Token          string
	Password       string
	TokenFile      string
	PasswordFile   string
	Viewer         string
	ViewerPassword string
	PidFile        string // rt-server's pid file, for tests of the script
	viewerFile     string
	current        bool // the database was built from today's initialdata
	env            []string
}

var (
	rtOnce sync.Once
	rtMain *RT
	rtErr  error
)

// RequestTracker returns the shared RT, installing and starting it through
// services.sh up-rt when it does not answer. A missing RT fails the test; it
// is never a reason to skip.
func RequestTracker(t testing.TB) *RT {
	t.Helper()
	Integration(t, "Request Tracker")
	rtOnce.Do(func() {
		rt := &RT{env: os.Environ()}
		if rtErr = rt.readEnv(); rtErr == nil && rt.current && rt.load() == nil && rt.answers() {
			rtMain = rt
			return
		}
		if rtErr = rt.run("up-rt"); rtErr == nil {
			if rtErr = rt.readEnv(); rtErr == nil {
				rtErr = rt.load()
			}
		}
		rtMain = rt
	})
	if rtErr != nil {
		t.Fatalf("starting Request Tracker: %v", rtErr)
	}
	return rtMain
}

// PrivateRequestTracker starts an RT of its own (own port, database and run
// directory) for a test that stops it; it is stopped when the test ends.
// The packages are shared, so only a database is initialised (seconds).
func PrivateRequestTracker(t testing.TB) *RT {
	t.Helper()
	Integration(t, "Request Tracker")
	RequestTracker(t) // installs the packages, once
	cache := os.Getenv("NHI_SERVICES_CACHE")
	if cache == "" {
		cache = defaultHome()
	}
	rt := &RT{env: append(os.Environ(), "NHI_SERVICES_HOME="+t.TempDir(), "NHI_SERVICES_CACHE="+cache,
		"NHI_RT_PORT="+strconv.Itoa(freePorts(t, 1)[0]))}
	t.Cleanup(func() { _ = rt.run("down-rt") })
	rt.Do(t, "up-rt")
	if err := rt.readEnv(); err != nil {
		t.Fatal(err)
	}
	if err := rt.load(); err != nil {
		t.Fatal(err)
	}
	return rt
}

// Do runs `services.sh CMD` for this RT: up-rt, down-rt, status-rt.
func (rt *RT) Do(t testing.TB, cmd string) {
	t.Helper()
	if err := rt.run(cmd); err != nil {
		t.Fatalf("services.sh %s: %v", cmd, err)
	}
}

func (rt *RT) run(cmd string) error {
	c := exec.Command("bash", Script(), cmd)
	c.Env = rt.env
	out, err := c.CombinedOutput()
	if err != nil {
		return &scriptError{cmd: cmd, err: err, out: string(out)}
	}
	return nil
}

// readEnv asks the script where this RT lives, so the paths and the port
// are computed in one place.
func (rt *RT) readEnv() error {
	c := exec.Command("bash", Script(), "env-rt")
	c.Env = rt.env
	out, err := c.Output()
	if err != nil {
		return &scriptError{cmd: "env-rt", err: err, out: string(out)}
	}
	sc := bufio.NewScanner(bytes.NewReader(out))
	for sc.Scan() {
		k, v, _ := strings.Cut(sc.Text(), "=")
		switch k {
		case "NHI_RT_URL":
			rt.URL = v
		case "NHI_RT_USER":
			rt.User = v
		case "NHI_RT_TOKEN_FILE":
			rt.TokenFile = v
		case "NHI_RT_PASSWORD_FILE":
			rt.PasswordFile = v
		case "NHI_RT_PID_FILE":
			rt.PidFile = v
		case "NHI_RT_VIEWER":
			rt.Viewer = v
		case "NHI_RT_VIEWER_PASSWORD_FILE":
			rt.viewerFile = v
		case "NHI_RT_DATA_CURRENT":
			rt.current = v == "1"
		}
	}
	return nil
}

func (rt *RT) load() error {
	for _, f := range []struct {
		path string
		dst  *string
	}{{rt.TokenFile, &rt.Token}, {rt.PasswordFile, &rt.Password}, {rt.viewerFile, &rt.ViewerPassword}} {
		b, err := os.ReadFile(filepath.Clean(f.path))
		if err != nil {
			return err
		}
		*f.dst = strings.TrimSpace(string(b))
	}
	return nil
}

// answers: REST2 serves the API user, i.e. RT is up with this database.
func (rt *RT) answers() bool {
	req, err := http.NewRequest(http.MethodGet, rt.URL+"/REST/2.0/queues/all", nil)
	if err != nil {
		return false
	}
	req.Header.Set("Authorization", "token "+rt.Token)
	resp, err := (&http.Client{Timeout: 5 * time.Second}).Do(req)
	if err != nil {
		return false
	}
	resp.Body.Close()
	return resp.StatusCode == http.StatusOK
}
