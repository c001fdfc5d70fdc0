domain "example.com" {
  dmarc {
    policy = "rejected" # ERROR: Invalid DMARC policy
  }
}
