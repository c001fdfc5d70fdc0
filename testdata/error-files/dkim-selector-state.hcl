domain "example.com" {
  dkim "s_1!" { # ERROR: Invalid DKIM selector
    key_file = "keys/ed25519.pem"
  }
  dkim "s2" {
    key_file = "keys/ed25519.pem"
    state    = "activ" # ERROR: Invalid DKIM state
  }
  dkim "s3" { # ERROR: Missing DKIM key file
    state = "next"
  }
  dkim "s2" { # ERROR: Duplicate DKIM selector
    key_file = "keys/ed25519.pem"
  }
}
