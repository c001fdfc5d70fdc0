policy "p" {
  mta_sts {
    mode = "strict" # ERROR: Invalid MTA-STS mode
    mx   = ["mx.example.com", "*.*.example.com"] # ERROR: Invalid MTA-STS mx pattern
  }
}
