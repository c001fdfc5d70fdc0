domain "example.com" {
  dmarc {
    policy = "reject"
    rua    = ["mailto:dmarc@example.com", "dmarc@example.com"] # ERROR: Invalid DMARC report address
  }
}
