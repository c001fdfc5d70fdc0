package probe

import (
	"bytes"
	"errors"
	"io"
	"net/mail"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

func TestMessage(t *testing.T) {
	now := time.Date(2026, 3, 1, 12, 30, 0, 0, time.UTC)
	tests := []struct {
		name, domain, from, to, token string
		want                          map[string]string
	}{
		{
			name: "default from", domain: "example.com", to: "probe@receiver.example", token: "00ff",
			want: map[string]string{
				"From": "mailconf-probe@example.com", "To": "probe@receiver.example",
				"Subject": "mailconf probe 00ff", "Message-Id": "<00ff@example.com>",
				"X-Mailconf-Probe": "00ff", "Date": "Sun, 01 Mar 2026 12:30:00 +0000",
			},
		},
		{
			name: "explicit from, injected newline dropped", domain: "example.org", from: "ops@example.org\r\nBcc: x@evil.example", to: "t@gmail.example", token: "abc",
			want: map[string]string{
				"From": "ops@example.orgBcc: x@evil.example", "To": "t@gmail.example",
				"Subject": "mailconf probe abc", "Message-Id": "<abc@example.org>",
				"X-Mailconf-Probe": "abc", "Date": "Sun, 01 Mar 2026 12:30:00 +0000",
			},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			raw := Message(tc.domain, tc.from, tc.to, tc.token, now)
			if bytes.Contains(bytes.ReplaceAll(raw, []byte("\r\n"), nil), []byte("\n")) {
				t.Errorf("bare LF in message:\n%q", raw)
			}
			m, err := mail.ReadMessage(bytes.NewReader(raw))
			if err != nil {
				t.Fatal(err)
			}
			got := map[string]string{}
			for k := range tc.want {
				got[k] = m.Header.Get(k)
			}
			if d := cmp.Diff(tc.want, got); d != "" {
				t.Errorf("header (-want +got):\n%s", d)
			}
			if len(m.Header["Bcc"]) != 0 {
				t.Error("header injection produced a Bcc field")
			}
			date, err := m.Header.Date()
			if err != nil || !date.Equal(now) {
				t.Errorf("Date = %v, %v; want %v", date, err, now)
			}
			body, _ := io.ReadAll(m.Body)
			if !strings.Contains(string(body), tc.domain) {
				t.Errorf("body does not name the domain: %q", body)
			}
		})
	}
}

func TestNewToken(t *testing.T) {
	tok, err := NewToken(bytes.NewReader(bytes.Repeat([]byte{0xab}, 32)))
	if err != nil {
		t.Fatal(err)
	}
	if want := strings.Repeat("ab", 16); tok != want {
		t.Errorf("token = %q, want %q", tok, want)
	}
	if _, err := NewToken(bytes.NewReader(make([]byte, 5))); !errors.Is(err, ErrRandom) {
		t.Errorf("short reader: err = %v, want ErrRandom", err)
	}
}
