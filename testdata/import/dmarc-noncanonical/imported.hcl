policy "quarantine" {
  dmarc {
    raw = "v=DMARC1; rua=mailto:dmarc@example.net; p=quarantine; pct=100; fo=1"
  }
}

domain "example.net" {
  provider = provider.zonefile.live
  policy   = policy.quarantine
  mx {
    host = "mx.example.net"
  }
}
