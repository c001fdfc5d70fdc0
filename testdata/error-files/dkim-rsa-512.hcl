domain "example.com" {
  dkim "old" {
    key_file = "keys/rsa512.pem" # ERROR: DKIM key too small
  }
}
