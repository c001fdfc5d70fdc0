provider "zonefile" "live" {
  dir = "zones"
}

domain "example.com" {
  dmarc {
    policy = "none"
    rua    = ["mailto:d@example.com"]
  }
}
