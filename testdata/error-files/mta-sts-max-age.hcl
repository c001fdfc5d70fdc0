domain "example.com" {
  mx {
    host = "mx.example.com"
  }
  mta_sts {
    mode    = "enforce"
    max_age = 31557601 # ERROR: MTA-STS max_age out of range
  }
}
