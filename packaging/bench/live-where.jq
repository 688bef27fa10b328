select(.type=="nhi_observed") | .location as $l |
(if ($l|test("/go/pkg/mod/")) then "Go module cache (~/go/pkg/mod)"
 elif ($l|test("^/usr/local/go/")) then "Go toolchain (GOROOT /usr/local/go)"
 elif ($l|test("/\\.pyenv/versions/")) then "pyenv Pythons (~/.pyenv/versions)"
 elif ($l|test("^/etc/passwd$")) then "OS service accounts (/etc/passwd)"
 elif ($l|test("^process:")) then "process environments"
 elif ($l|test("^/etc/(chromium.d|java-)")) then "dpkg-installed files (/etc/chromium.d/apikeys, java.security)"
 else "operator files (demo fleet, snakeoil key)" end) as $w | "\($w)\t\(.plugin)/\(.kind)"
