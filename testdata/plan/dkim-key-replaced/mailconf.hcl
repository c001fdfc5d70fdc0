provider "zonefile" "live" {
  dir = "zones"
}

domain "example.com" {
  dkim "s1" {
    key_file = "../../error-files/keys/ed25519.pem"
  }
  # s0 was retiring until retire_after; revoking it now is not dangerous.
  dkim "s0" {
    state        = "retired"
    retire_after = "2026-01-08T00:00:00Z"
  }
}
