provider "zonefile" "live" {
  dir = "zones"
}

domain "example.com" {
  dkim "s1" {
    key_file = "../../error-files/keys/ed25519.pem"
  }
  # The revocation period of s0 is over: its p= record goes.
  dkim "s0" {
    state        = "retired"
    retire_after = "2026-01-08T00:00:00Z"
    remove_after = "2026-01-15T00:00:00Z"
  }
}
