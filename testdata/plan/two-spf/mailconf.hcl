provider "zonefile" "live" {
  dir = "zones"
}

sender "custom" "relay" {
  ip4 = ["203.0.113.10", "203.0.113.11"]
}

domain "example.com" {
  senders = [sender.custom.relay]
  dmarc {
    policy = "reject"
  }
}
