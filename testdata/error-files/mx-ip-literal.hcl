domain "example.com" {
  mx {
    host = "192.0.2.25" # ERROR: MX target is an IP address
  }
}
