provider "zonefile" "live" {
  dir = "zones"
}

policy "central" {
  dmarc {
    policy = "reject"
    rua    = ["mailto:dmarc@example.net"]
  }
}

domain "example.com" {
  policy = policy.central
}

domain "example.net" {
  policy = policy.central
}
