package plan

import (
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"fmt"
	"strconv"
	"strings"
)

// Shard is one of N parts of a fleet, for splitting plan, apply and drift
// across the jobs of a CI matrix: job K of N handles the domains whose
// shard number is K. K is 1-based, as GitLab's CI_NODE_INDEX is. The zero
// Shard is the whole fleet.
//
// A domain's shard depends only on its name and N, never on the other
// domains, the order of the configuration or the process (ShardOf), so
// the N jobs of a matrix split any fleet with no overlap and no gap.
type Shard struct {
	K int `json:"k"`
	N int `json:"n"`
}

// ErrBadShard reports a --shard value that is not K/N with 1 ≤ K ≤ N.
var ErrBadShard = errors.New("plan: invalid shard")

// ParseShard reads "K/N", such as "2/7": shard K (counted from 1) of N.
func ParseShard(s string) (Shard, error) {
	ks, ns, ok := strings.Cut(strings.TrimSpace(s), "/")
	if !ok {
		return Shard{}, fmt.Errorf("%w %q: write K/N, such as 2/7 for the second of 7 shards (K counts from 1)", ErrBadShard, s)
	}
	k, kerr := strconv.Atoi(strings.TrimSpace(ks))
	n, nerr := strconv.Atoi(strings.TrimSpace(ns))
	switch {
	case kerr != nil || nerr != nil:
		return Shard{}, fmt.Errorf("%w %q: K and N are whole numbers, such as 2/7 for the second of 7 shards", ErrBadShard, s)
	case n < 1:
		return Shard{}, fmt.Errorf("%w %q: N, the number of shards, must be at least 1", ErrBadShard, s)
	case k < 1 || k > n:
		return Shard{}, fmt.Errorf("%w %q: K counts from 1 to N (%d), so the shards of %d are 1/%d to %d/%d", ErrBadShard, s, n, n, n, n, n)
	}
	return Shard{K: k, N: n}, nil
}

// IsZero reports whether s is the zero Shard: the whole fleet.
func (s Shard) IsZero() bool { return s == Shard{} }

// String is "K/N", as ParseShard reads it; "" for the zero Shard.
func (s Shard) String() string {
	if s.IsZero() {
		return ""
	}
	return strconv.Itoa(s.K) + "/" + strconv.Itoa(s.N)
}

// Contains reports whether domain is in s. Every domain is in the zero
// Shard.
func (s Shard) Contains(domain string) bool {
	if s.IsZero() {
		return true
	}
	return InShard(domain, s.K, s.N)
}

// InShard reports whether domain belongs to shard k (1-based) of n: its
// ShardOf is k. It is false for a k or n out of range.
func InShard(domain string, k, n int) bool {
	if n < 1 || k < 1 || k > n {
		return false
	}
	return ShardOf(domain, n) == k
}

// ShardOf is the shard, from 1 to n, that domain belongs to: 1 plus the
// first 8 bytes of the SHA-256 digest of the name, lower case and without
// a trailing dot, read as a big-endian unsigned integer, modulo n. The hash
// is fixed by its algorithm, unlike Go's map and hash/maphash seeds, so
// every job of a matrix, on any machine and with any mailconf version,
// agrees on it (docs/plan-json.md spells it out for scripts). SHA-256
// rather than a faster hash such as FNV-1a: FNV's last bytes barely move
// the remainder, and fleets of names that differ in a counter ("client1",
// "client2", ...) then split unevenly.
func ShardOf(domain string, n int) int {
	if n <= 1 {
		return 1
	}
	sum := sha256.Sum256([]byte(strings.ToLower(strings.TrimSuffix(domain, "."))))
	return int(binary.BigEndian.Uint64(sum[:8])%uint64(n)) + 1
}

// InShard returns the desired records of the domains in s, in the same
// order, sharing their records with d. It returns d itself for the zero
// Shard.
func (d *Desired) InShard(s Shard) *Desired {
	if s.IsZero() {
		return d
	}
	out := &Desired{Now: d.Now}
	for _, dr := range d.Domains {
		if s.Contains(dr.Domain) {
			out.Domains = append(out.Domains, dr)
		}
	}
	return out
}
