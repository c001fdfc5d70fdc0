//go:build interop

package interop

import (
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"testing"
)

// powerDNS is the PowerDNS Authoritative Server (pdns_server) with its
// SQLite backend (gsqlite3), which stores what dynamic updates change.
// The zones are loaded and the key imported with pdnsutil before the server
// starts; the zones' metadata lets the key update and transfer them.
var powerDNS = implementation{
	name:     "powerdns",
	programs: []string{"pdns_server", "pdnsutil", "sqlite3"},
	install:  "apt-get install pdns-server pdns-backend-sqlite3 sqlite3",
	start: func(t testing.TB, zones []zone) *server {
		return startOnFreePort(t, "powerdns", zones, func(dir string, port int, key tsigKey) (*server, error) {
			if err := setUpPowerDNS(dir, port, key, zones); err != nil {
				return nil, err
			}
			pdns, _ := findProgram("pdns_server")
			d, err := startDaemon(t, dir, filepath.Join(dir, "pdns.log"), pdns, "--config-dir="+dir)
			if err != nil {
				return nil, err
			}
			addr := net.JoinHostPort("127.0.0.1", strconv.Itoa(port))
			if err := d.waitListening(addr, "pdns_server"); err != nil {
				return nil, err
			}
			return &server{addr: addr, key: key, log: d.readLog}, nil
		})
	},
}

// powerDNSSchema is where pdns-backend-sqlite3 installs the database
// schema.
const powerDNSSchema = "/usr/share/pdns-backend-sqlite3/schema/schema.sqlite3.sql"

// setUpPowerDNS writes pdns.conf, creates the database and loads the zones
// and the key into it.
func setUpPowerDNS(dir string, port int, key tsigKey, zones []zone) error {
	db := filepath.Join(dir, "pdns.sqlite3")
	// security-poll-suffix is empty: otherwise the server asks the
	// resolver of /etc/resolv.conf for its version's security status at
	// start-up. The caches are off, so that every answer shows the last
	// update. Transfers are allowed by key only (TSIG-ALLOW-AXFR below):
	// allow-axfr-ips names no address the test uses.
	conf := fmt.Sprintf(`launch=gsqlite3
gsqlite3-database=%s
gsqlite3-dnssec=yes
local-address=127.0.0.1
local-port=%d
socket-dir=%s
daemon=no
guardian=no
disable-syslog=yes
loglevel=6
security-poll-suffix=
dnsupdate=yes
allow-dnsupdate-from=127.0.0.0/8
allow-axfr-ips=192.0.2.255/32
disable-axfr=no
cache-ttl=0
query-cache-ttl=0
negquery-cache-ttl=0
zone-cache-refresh-interval=0
receiver-threads=1
distributor-threads=1
webserver=no
api=no
`, db, port, dir)
	if err := os.WriteFile(filepath.Join(dir, "pdns.conf"), []byte(conf), 0o600); err != nil {
		return err
	}
	schema, err := os.ReadFile(powerDNSSchema)
	if err != nil {
		return fmt.Errorf("%v (on Debian: apt-get install pdns-backend-sqlite3)", err)
	}
	sqlite3, _ := findProgram("sqlite3")
	if err := command(dir, string(schema), sqlite3, db); err != nil {
		return err
	}
	pdnsutil, _ := findProgram("pdnsutil")
	util := func(args ...string) error {
		return command(dir, "", append([]string{pdnsutil, "--config-dir=" + dir}, args...)...)
	}
	if err := util("import-tsig-key", key.name, key.algorithm, key.secret); err != nil {
		return err
	}
	for _, z := range zones {
		file := filepath.Join(dir, z.name+".zone")
		if err := os.WriteFile(file, []byte(z.masterFile()), 0o644); err != nil {
			return err
		}
		if err := util("load-zone", z.name, file); err != nil {
			return err
		}
		for _, kind := range []string{"TSIG-ALLOW-DNSUPDATE", "TSIG-ALLOW-AXFR"} {
			if err := util("set-meta", z.name, kind, key.name); err != nil {
				return err
			}
		}
	}
	return nil
}
