domain "example.com" {
  dmarc {
    policy = "quarantine"
    pct    = 50 # WARNING: Legacy DMARC tag
    adkim  = "exact" # ERROR: Invalid DMARC alignment
  }
}
