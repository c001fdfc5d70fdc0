sender "custom" "relay" {
  ip4 = ["203.0.113.10"]
}

domain "example.org" {
  parked  = true
  senders = [sender.custom.relay] # ERROR: Parked domain with senders
}
