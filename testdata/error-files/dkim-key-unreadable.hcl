domain "example.com" {
  dkim "s1" {
    key_file = "keys/unreadable.pem" # ERROR: Unreadable DKIM key file
  }
}
