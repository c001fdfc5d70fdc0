provider "zonefile" "live" {
  dir = "zones"
}

domain "example.com" {
  dkim "s1" {
    key_file = "../../error-files/keys/ed25519.pem"
  }
  # Straight to retired, never retiring: mail s0 signed fails DKIM.
  dkim "s0" {
    state = "retired"
  }
  # Retired before its retiring period ends.
  dkim "s9" {
    state        = "retired"
    retire_after = "2099-01-01T00:00:00Z"
  }
}
