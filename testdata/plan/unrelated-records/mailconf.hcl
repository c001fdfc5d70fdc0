provider "zonefile" "live" {
  dir = "zones"
}

domain "example.com" {
  mx {
    host = "mail.example.com"
  }
  spf {
    ip4 = ["192.0.2.25"]
    all = "-all"
  }
  dmarc {
    policy = "quarantine"
  }
}
