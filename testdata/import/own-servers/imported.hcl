sender "custom" "example_org" {
  ip4 = ["198.51.100.0/28"]
  ip6 = ["2001:db8:100::/48"]
  mx  = ["@"]
}

policy "quarantine" {
  dmarc {
    policy = "quarantine"
    adkim  = "strict"
    aspf   = "strict"
  }
}

domain "example.org" {
  provider = provider.zonefile.live
  policy   = policy.quarantine
  senders  = [sender.custom.example_org]
  mx {
    host = "mx1.example.org"
  }
  mx {
    host       = "mx2.example.org"
    preference = 20
  }
  spf {
    all = "-all"
  }
}
