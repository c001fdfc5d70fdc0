provider "zonefile" "live" {
  dir = "zones"
}

domain "example.com" {
  dkim "s1" {
    key_file = "../../error-files/keys/ed25519.pem"
  }
}
