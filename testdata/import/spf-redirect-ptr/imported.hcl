policy "none" {
  dmarc {
    policy = "none"
  }
}

domain "example.net" {
  provider = provider.zonefile.live
  policy   = policy.none
  mx {
    host = "mx.example.org"
  }
  spf {
    raw = "v=spf1 ptr:example.net redirect=_spf.example.org"
  }
}
