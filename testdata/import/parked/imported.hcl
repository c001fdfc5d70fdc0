domain "example.org" {
  provider = provider.zonefile.live
  parked   = true
}
