domain "example.com" {
  dkim "s2019" {
    algorithm = "rsa-1024"
    key_file  = "keys/rsa1024.pem" # WARNING: Weak DKIM key
  }
}
