provider "zonefile" "live" {
  dir = "zones"
}

# s2 skips next: it is active in the plan that first publishes it, while s1
# still serves the domain's signatures. s3 is published as next, safely.
domain "example.com" {
  dkim "s1" {
    key_file     = "../../error-files/keys/ed25519.pem"
    state        = "retiring"
    retire_after = "2099-01-01T00:00:00Z"
  }
  dkim "s2" {
    key_file = "../../error-files/keys/ed25519.pem"
  }
  dkim "s3" {
    key_file = "../../error-files/keys/rsa2048.pem"
    state    = "next"
  }
}
