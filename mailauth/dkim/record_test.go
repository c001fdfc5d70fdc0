package dkim

import (
	"encoding/base64"
	"errors"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// ed25519Key is the public key of testdata/ed25519-pkcs8.pem; any 32 octets
// would do for the record tests.
const ed25519Key = "Xqm2udbBEl9X4l/qhnn+rVkih+t8F0v7Jsj5cMNadCI="

func mustDecode(t *testing.T, s string) []byte {
	t.Helper()
	b, err := base64.StdEncoding.DecodeString(s)
	if err != nil {
		t.Fatalf("bad test base64 %q: %v", s, err)
	}
	return b
}

func TestParse(t *testing.T) {
	key := mustDecode(t, ed25519Key)
	tests := []struct {
		name string
		in   string
		want *Record
	}{
		{
			name: "minimal",
			in:   "p=AQAB",
			want: &Record{PublicKey: []byte{1, 0, 1}},
		},
		{
			name: "common rsa form",
			in:   "v=DKIM1; k=rsa; p=AQAB",
			want: &Record{Version: "DKIM1", KeyType: "rsa", PublicKey: []byte{1, 0, 1}},
		},
		{
			name: "ed25519",
			in:   "v=DKIM1; k=ed25519; p=" + ed25519Key,
			want: &Record{Version: "DKIM1", KeyType: "ed25519", PublicKey: key},
		},
		{
			name: "every known tag",
			in:   "v=DKIM1; h=sha256:sha1; k=rsa; n=rotated 2026=2Dq1; s=email:*; t=y:s; p=AQAB",
			want: &Record{
				Version: "DKIM1", KeyType: "rsa", PublicKey: []byte{1, 0, 1},
				Hashes: []string{"sha256", "sha1"}, Services: []string{"email", "*"},
				Flags: []string{"y", "s"}, Notes: "rotated 2026=2Dq1",
			},
		},
		{
			name: "whitespace around tags, equals signs and colons",
			in:   " v = DKIM1 ;\tk =rsa; h= sha1 :\tsha256 ; p = AQAB ",
			want: &Record{Version: "DKIM1", KeyType: "rsa", Hashes: []string{"sha1", "sha256"}, PublicKey: []byte{1, 0, 1}},
		},
		{
			name: "folding whitespace inside base64",
			in:   "v=DKIM1; k=ed25519; p=" + ed25519Key[:10] + " " + ed25519Key[10:20] + "\r\n\t" + ed25519Key[20:],
			want: &Record{Version: "DKIM1", KeyType: "ed25519", PublicKey: key},
		},
		{
			name: "whitespace inside padding",
			in:   "p=AQ = =",
			want: &Record{PublicKey: []byte{1}},
		},
		{
			name: "unpadded base64",
			in:   "p=AQ",
			want: &Record{PublicKey: []byte{1}},
		},
		{
			name: "trailing semicolon",
			in:   "v=DKIM1; p=AQAB;",
			want: &Record{Version: "DKIM1", PublicKey: []byte{1, 0, 1}},
		},
		{
			name: "trailing semicolon and whitespace",
			in:   "v=DKIM1; p=AQAB; \t",
			want: &Record{Version: "DKIM1", PublicKey: []byte{1, 0, 1}},
		},
		{
			name: "revoked",
			in:   "v=DKIM1; p=",
			want: &Record{Version: "DKIM1"},
		},
		{
			name: "revoked with whitespace and semicolon",
			in:   "v=DKIM1; k=rsa; p= ;",
			want: &Record{Version: "DKIM1", KeyType: "rsa"},
		},
		{
			name: "unknown tags kept in order",
			in:   "v=DKIM1; g=*; x_y=a b; z=; p=AQAB",
			want: &Record{Version: "DKIM1", PublicKey: []byte{1, 0, 1}, Unknown: []Tag{{"g", "*"}, {"x_y", "a b"}, {"z", ""}}},
		},
		{
			name: "tag names are case-sensitive",
			in:   "K=rsa; P=x; p=AQAB",
			want: &Record{PublicKey: []byte{1, 0, 1}, Unknown: []Tag{{"K", "rsa"}, {"P", "x"}}},
		},
		{
			name: "unknown key type is syntactically fine",
			in:   "k=dsa; p=AQAB",
			want: &Record{KeyType: "dsa", PublicKey: []byte{1, 0, 1}},
		},
		{
			name: "p= need not be last",
			in:   "p=AQAB; t=s",
			want: &Record{PublicKey: []byte{1, 0, 1}, Flags: []string{"s"}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := Parse(tt.in)
			if err != nil {
				t.Fatalf("Parse(%q): %v", tt.in, err)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("Parse(%q) mismatch (-want +got):\n%s", tt.in, diff)
			}
			// Round-trip: the canonical text parses back to the same record.
			again, err := Parse(got.String())
			if err != nil {
				t.Fatalf("Parse(String()) of %q: %v", got.String(), err)
			}
			if diff := cmp.Diff(got, again); diff != "" {
				t.Errorf("round-trip through %q changed the record (-first +second):\n%s", got.String(), diff)
			}
		})
	}
}

func TestParseErrors(t *testing.T) {
	tests := []struct {
		name string
		in   string
		want error
	}{
		{"empty", "", ErrSyntax},
		{"only whitespace", "  ", ErrSyntax},
		{"only a semicolon", ";", ErrSyntax},
		{"empty tag-spec between semicolons", "v=DKIM1;; p=AQAB", ErrSyntax},
		{"whitespace-only tag-spec", "v=DKIM1; ; p=AQAB", ErrSyntax},
		{"two trailing semicolons", "p=AQAB;;", ErrSyntax},
		{"tag without equals sign", "v=DKIM1; p", ErrSyntax},
		{"tag name starting with a digit", "1p=x; p=AQAB", ErrSyntax},
		{"tag name starting with underscore", "_x=1; p=AQAB", ErrSyntax},
		{"tag name with a space", "p q=1; p=AQAB", ErrSyntax},
		{"tag name with a hyphen", "a-b=1; p=AQAB", ErrSyntax},
		{"empty tag name", "=1; p=AQAB", ErrSyntax},
		{"non-ASCII value", "n=caf\u00e9; p=AQAB", ErrSyntax},
		{"control character in value", "n=a\x00b; p=AQAB", ErrSyntax},
		{"invalid base64 character", "p=AQ$B", ErrSyntax},
		{"base64 of one character", "p=A", ErrSyntax},
		{"padding in the middle", "p=AQ==AQAB", ErrSyntax},
		{"too much padding", "p=AQAB==", ErrSyntax},
		{"non-zero trailing bits", "p=AR==", ErrSyntax},
		{"key type with a space", "k=r sa; p=AQAB", ErrSyntax},
		{"key type starting with a hyphen", "k=-rsa; p=AQAB", ErrSyntax},
		{"key type ending with a hyphen", "k=rsa-; p=AQAB", ErrSyntax},
		{"empty key type", "k=; p=AQAB", ErrSyntax},
		{"empty hash list", "h=; p=AQAB", ErrSyntax},
		{"empty hash list item", "h=sha1::sha256; p=AQAB", ErrSyntax},
		{"trailing colon in flags", "t=y:; p=AQAB", ErrSyntax},
		{"star in flags", "t=*; p=AQAB", ErrSyntax},
		{"empty service list", "s=; p=AQAB", ErrSyntax},
		{"duplicate p", "p=AQAB; p=", ErrDuplicateTag},
		{"duplicate h", "h=sha256; h=sha1; p=AQAB", ErrDuplicateTag},
		{"duplicate unknown tag", "x=1; x=2; p=AQAB", ErrDuplicateTag},
		{"duplicate v", "v=DKIM1; v=DKIM1; p=AQAB", ErrDuplicateTag},
		{"missing p", "v=DKIM1; k=rsa", ErrMissingPublicKey},
		{"missing p, uppercase P given", "v=DKIM1; P=AQAB", ErrMissingPublicKey},
		{"v not first", "k=rsa; v=DKIM1; p=AQAB", ErrVersion},
		{"v last", "p=AQAB; v=DKIM1", ErrVersion},
		{"other version", "v=DKIM2; p=AQAB", ErrVersion},
		{"version is case-sensitive", "v=dkim1; p=AQAB", ErrVersion},
		{"empty version", "v=; p=AQAB", ErrVersion},
		{"spf record", "v=spf1 -all", ErrVersion},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := Parse(tt.in)
			if !errors.Is(err, tt.want) {
				t.Fatalf("Parse(%q) = %v, %v; want error %v", tt.in, got, err, tt.want)
			}
		})
	}
}

func TestString(t *testing.T) {
	key := mustDecode(t, ed25519Key)
	tests := []struct {
		name string
		in   *Record
		want string
	}{
		{
			name: "rsa",
			in:   &Record{Version: "DKIM1", KeyType: "rsa", PublicKey: []byte{1, 0, 1}},
			want: "v=DKIM1; k=rsa; p=AQAB",
		},
		{
			name: "ed25519",
			in:   &Record{Version: "DKIM1", KeyType: "ed25519", PublicKey: key},
			want: "v=DKIM1; k=ed25519; p=" + ed25519Key,
		},
		{
			name: "revoked",
			in:   &Record{Version: "DKIM1", KeyType: "rsa"},
			want: "v=DKIM1; k=rsa; p=",
		},
		{
			name: "zero record",
			in:   &Record{},
			want: "p=",
		},
		{
			name: "canonical order",
			in: &Record{
				Unknown: []Tag{{"z", "1"}, {"a", "2"}}, Notes: "note", Flags: []string{"y", "s"},
				Services: []string{"email"}, Hashes: []string{"sha256"}, KeyType: "rsa",
				Version: "DKIM1", PublicKey: []byte{1},
			},
			want: "v=DKIM1; k=rsa; h=sha256; s=email; t=y:s; n=note; z=1; a=2; p=AQ==",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.in.String(); got != tt.want {
				t.Errorf("String() = %q, want %q", got, tt.want)
			}
		})
	}
}

func TestStringCanonicalizes(t *testing.T) {
	tests := []struct {
		name string
		in   string
		want string
	}{
		{"reordered", "v=DKIM1; p=AQAB; x=1; n=x; t=y; s=email; h=sha256; k=rsa", "v=DKIM1; k=rsa; h=sha256; s=email; t=y; n=x; x=1; p=AQAB"},
		{"whitespace dropped", " v = DKIM1 ; k = rsa ; p = AQ AB ; ", "v=DKIM1; k=rsa; p=AQAB"},
		{"padding added", "p=AQ", "p=AQ=="},
		{"whitespace around list items", "h=sha1 : sha256; p=", "h=sha1:sha256; p="},
		{"whitespace inside values kept", "n=a  b; x=c\td; p=", "n=a  b; x=c\td; p="},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r, err := Parse(tt.in)
			if err != nil {
				t.Fatalf("Parse(%q): %v", tt.in, err)
			}
			if got := r.String(); got != tt.want {
				t.Errorf("String() = %q, want %q", got, tt.want)
			}
		})
	}
}

func TestRevoked(t *testing.T) {
	tests := []struct {
		in   string
		want bool
	}{
		{"v=DKIM1; p=", true},
		{"v=DKIM1; p= ", true},
		{"v=DKIM1; p=AQAB", false},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			r, err := Parse(tt.in)
			if err != nil {
				t.Fatal(err)
			}
			if got := r.Revoked(); got != tt.want {
				t.Errorf("Revoked() = %v, want %v", got, tt.want)
			}
		})
	}
}
