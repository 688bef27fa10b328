package sshkeys

// What each file can legitimately hold. A file or line past its limit is
// skipped (or the file read up to it) and reported as a warning; the scan
// goes on with every other file and line.
const (
	// maxKeyFile bounds a private key file under ~/.ssh (a 16384-bit RSA
	// key in PEM is about 12 KiB) and its .pub.
	maxKeyFile = 64 << 10
	// maxAuthorizedFile bounds an authorized_keys file: a hundred thousand
	// keys fit; past it the rest is not read.
	maxAuthorizedFile = 256 << 20
	// maxAuthorizedLine bounds one entry: a certificate with options is a
	// few KiB.
	maxAuthorizedLine = 64 << 10
	// maxConfigFile and maxConfigLine bound sshd_config and its includes.
	maxConfigFile = 4 << 20
	maxConfigLine = 64 << 10
)
