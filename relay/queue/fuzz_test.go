package queue

import (
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// FuzzDecodeEnvelope feeds arbitrary bytes to the envelope parser, which
// reads what is on disk after a crash or disk corruption: it must never
// panic, and an envelope it accepts must encode and decode back to the same
// item.
func FuzzDecodeEnvelope(f *testing.F) {
	const id = "0123456789abcdef"
	t0 := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	full, err := encodeEnvelope(&Item{
		ID:   id,
		From: "alice@example.com",
		Recipients: []Recipient{
			{Addr: "a@example.org", Status: Pending, NextAttempt: t0},
			{Addr: "b@example.net", Status: Failed, Attempts: 3, LastCode: 550, LastError: "5.1.1 no such user\r\n"},
			{Addr: "c@example.net", Status: Delivered, Attempts: 1, LastCode: 250},
		},
		Received: t0,
		Expires:  t0.Add(DefaultLifetime),
		Size:     1234,
		DSNSent:  true,
	})
	if err != nil {
		f.Fatal(err)
	}
	for _, seed := range []string{
		string(full),
		string(full[:len(full)/2]),
		`{"v":1,"id":"0123456789abcdef","from":"","received":"2026-03-01T12:00:00Z","expires":"2026-03-06T12:00:00Z","size":0,"rcpt":[]}`,
		`{"v":2,"id":"0123456789abcdef"}`,
		`{"v":1,"id":"0123456789abcdef","size":-1}`,
		`{"v":1,"id":"0123456789abcdef","rcpt":[{"addr":"a","status":"bounced"}]}`,
		`{"v":1,"id":"0123456789abcdef","received":"2026-03-01T12:00:00+14:00"}`,
		"\x00\x00\x00\x00",
		"",
	} {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		it, err := decodeEnvelope(id, data)
		if err != nil {
			return
		}
		enc, err := encodeEnvelope(it)
		if err != nil {
			t.Fatalf("accepted envelope does not encode: %v", err)
		}
		for _, c := range enc {
			if c == '\n' {
				t.Fatalf("encoded envelope contains a newline: %q", enc)
			}
		}
		again, err := decodeEnvelope(id, enc)
		if err != nil {
			t.Fatalf("re-encoded envelope does not decode: %v\n%s", err, enc)
		}
		if diff := cmp.Diff(it, again); diff != "" {
			t.Errorf("round trip (-first +second):\n%s", diff)
		}
	})
}
