domain "example.org" {
  parked = true
  dkim "s1" { # ERROR: Parked domain with a DKIM key
    key_file = "keys/ed25519.pem"
  }
  mta_sts { # ERROR: Parked domain with an mta_sts block
    mode = "enforce"
  }
}
