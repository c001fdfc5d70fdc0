provider "zonefile" "live" {
  dir = "zones"
}

domain "example.com" {
  ttl = 3600
  mx {
    host = "mx1.example.com"
  }
  dmarc {
    policy = "reject"
  }
}
