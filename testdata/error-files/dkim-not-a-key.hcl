domain "example.com" {
  dkim "s1" {
    key_file = "keys/ed25519-public.pem" # ERROR: Not a DKIM private key
  }
  dkim "s2" {
    key_file = "keys/README.md" # ERROR: Not a DKIM private key
  }
}
