provider "zonefile" "live" {
  dir = "zones"
}

domain "example.com" {
  dmarc {
    policy = "reject"
    rua    = ["mailto:d@example.com"]
  }
}
