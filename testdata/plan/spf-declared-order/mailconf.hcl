provider "zonefile" "live" {
  dir = "zones"
}

# SPF keeps the declared order: the senders as listed, each sender's terms
# as written (addresses before lookups within a sender), then the spf block.
sender "custom" "newsletters" {
  include = ["servers.mcsv.net", "_spf.google.com"]
}

sender "custom" "relay" {
  ip4 = ["203.0.113.10"]
}

domain "example.com" {
  senders = [sender.custom.newsletters, sender.custom.relay]
  spf {
    include = ["_spf.google.com", "spf.example.net"]
  }
  dmarc {
    policy = "reject"
  }
}
