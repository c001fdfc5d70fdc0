domain "example.com" {
  dkim "s1" {
    algorithm = "rsa-2048" # ERROR: DKIM key does not match its algorithm
    key_file  = "keys/ed25519.pem"
  }
  dkim "s2" {
    algorithm = "rsa2048" # ERROR: Invalid DKIM algorithm
    key_file  = "keys/rsa2048.pem"
  }
}
