provider "zonefile" "live" {
  dir = "zones"
}

sender "custom" "relay" {
  ip4 = ["203.0.113.10"]
}

domain "example.com" {
  senders = [sender.custom.relay]
  mx {
    host = "mx1.example.com"
  }
  dmarc {
    policy = "reject"
  }
}
