package route53

import "testing"

func TestQualify(t *testing.T) {
	for _, tc := range []struct{ typ, data, want string }{
		{"CNAME", "example.com", "example.com."},
		{"CNAME", "example.com.", "example.com."},
		{"MX", "10 mx.example.com", "10 mx.example.com."},
		{"MX", "0 .", "0 ."},
		{"SRV", "10 20 443 svc.example.com", "10 20 443 svc.example.com."},
		{"HTTPS", `1 . alpn="h2,h3"`, `1 . alpn="h2,h3"`},
		{"HTTPS", `1 cdn.example.net alpn="h2"`, `1 cdn.example.net. alpn="h2"`},
		{"TXT", "no names here", "no names here"},
		{"A", "192.0.2.1", "192.0.2.1"},
	} {
		if got := qualify(tc.typ, tc.data); got != tc.want {
			t.Errorf("qualify(%s, %q) = %q, want %q", tc.typ, tc.data, got, tc.want)
		}
	}
}
