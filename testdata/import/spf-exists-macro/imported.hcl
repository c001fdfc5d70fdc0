policy "none" {
  dmarc {
    policy = "none"
  }
}

domain "example.com" {
  provider = provider.zonefile.live
  policy   = policy.none
  mx {
    host = "mx1.example.com"
  }
  spf {
    raw = "v=spf1 ip4:192.0.2.25 exists:%%{i}._spf.example.org -all"
  }
}
