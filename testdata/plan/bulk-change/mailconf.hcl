provider "zonefile" "live" {
  dir = "zones"
}

# The relay moved: every domain's SPF changes at once, 5 of 15 owned records.
sender "custom" "relay" {
  ip4 = ["203.0.113.99"]
}

policy "p" {
  spf {
    all = "-all"
  }
  dmarc {
    policy = "reject"
  }
}

domain "subs" {
  for_each = toset(["example.com", "a.example.com", "b.example.com", "c.example.com", "d.example.com"])
  zone     = "example.com"
  policy   = policy.p
  senders  = [sender.custom.relay]
  mx {
    host = "mx.example.net"
  }
}
