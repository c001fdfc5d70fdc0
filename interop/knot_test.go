//go:build interop

package interop

import (
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// knot is Knot DNS (knotd), a primary whose ACL lets the key update and
// transfer each zone. Knot keeps updates in its journal and never writes
// them back to the zone file (zonefile-sync: -1), which is all a test needs.
var knot = implementation{
	name:     "knot",
	programs: []string{"knotd"},
	install:  "apt-get install knot",
	start: func(t testing.TB, zones []zone) *server {
		return startOnFreePort(t, "knot", zones, func(dir string, port int, key tsigKey) (*server, error) {
			conf, err := writeKnotConfig(dir, port, key, zones)
			if err != nil {
				return nil, err
			}
			knotd, _ := findProgram("knotd")
			// knotd stays in the foreground without -d.
			d, err := startDaemon(t, dir, filepath.Join(dir, "knotd.log"), knotd, "-c", conf)
			if err != nil {
				return nil, err
			}
			addr := net.JoinHostPort("127.0.0.1", strconv.Itoa(port))
			if err := d.waitListening(addr, "knotd"); err != nil {
				return nil, err
			}
			return &server{addr: addr, key: key, log: d.readLog}, nil
		})
	},
}

// writeKnotConfig writes knot.conf, the zone files and the database
// directory (without which every update fails with SERVFAIL: "DDNS,
// processing failed (not exists)"), and returns the configuration's path.
func writeKnotConfig(dir string, port int, key tsigKey, zones []zone) (string, error) {
	if err := os.Mkdir(filepath.Join(dir, "db"), 0o700); err != nil {
		return "", err
	}
	var conf strings.Builder
	fmt.Fprintf(&conf, `server:
    rundir: %q
    pidfile: %q
    listen: 127.0.0.1@%d
    udp-workers: 1
    tcp-workers: 1
    background-workers: 1
database:
    storage: %q
log:
  - target: stderr
    any: info
key:
  - id: %s
    algorithm: %s
    secret: %s
acl:
  - id: mailconf
    key: %s
    action: [update, transfer]
template:
  - id: default
    storage: %q
    file: "%%s.zone"
    zonefile-sync: -1
    zonefile-load: difference-no-serial
    journal-content: all
zone:
`, dir, filepath.Join(dir, "knot.pid"), port, filepath.Join(dir, "db"), key.name, key.algorithm, key.secret, key.name, dir)
	for _, z := range zones {
		fmt.Fprintf(&conf, "  - domain: %s\n    acl: mailconf\n", z.name)
		if err := os.WriteFile(filepath.Join(dir, z.name+".zone"), []byte(z.masterFile()), 0o644); err != nil {
			return "", err
		}
	}
	path := filepath.Join(dir, "knot.conf")
	return path, os.WriteFile(path, []byte(conf.String()), 0o600)
}
