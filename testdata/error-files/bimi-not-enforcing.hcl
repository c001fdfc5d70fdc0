domain "example.com" {
  dmarc {
    policy = "none"
  }
  bimi { # ERROR: BIMI without an enforcing DMARC policy
    logo = "https://example.com/logo.svg"
  }
}
