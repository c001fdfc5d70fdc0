domain "example.com" {
  mta_sts { # ERROR: MTA-STS without MX
    mode = "enforce"
  }
}
