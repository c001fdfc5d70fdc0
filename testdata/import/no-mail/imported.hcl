policy "imported" {
  dmarc {
    publish = false
  }
}

domain "example.net" {
  provider = provider.zonefile.live
  policy   = policy.imported
  spf {
    publish = false
  }
}
