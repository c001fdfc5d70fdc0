policy "p" {
  dkim_rotation {
    retiring_period = "a week" # ERROR: Invalid duration
    max_age         = "-3d" # ERROR: Invalid duration
  }
}

domain "example.com" {
  policy = policy.p
  dkim "a" {
    key_file = "keys/rsa2048.pem"
  }
  dkim "b" { # ERROR: Two active DKIM keys
    key_file = "keys/rsa2048.pem"
    created  = "yesterday" # ERROR: Invalid timestamp
  }
  dkim "c" {
    key_file     = "keys/ed25519.pem"
    state        = "next"
    retire_after = "2026-12-13T00:00:00Z" # ERROR: Timestamp of a later state
  }
  dkim "d" {
    key_file     = "keys/ed25519.pem"
    state        = "retiring"
    remove_after = "2026-12-13T00:00:00Z" # ERROR: Timestamp of a later state
  }
  dkim "e" {
    key_file  = "keys/ed25519.pem"
    created   = "2026-12-06T00:00:00Z"
    activated = "2026-12-01T00:00:00Z" # ERROR: Key activated before it was created
  }
}
