domain "example.com" {
  dkim "s1" {
    key_file = "keys/no-such-key.pem" # ERROR: DKIM key file not found
  }
}
