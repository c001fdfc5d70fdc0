sender "custom" "relay" {
  ip4 = ["203.0.113.10"]
}

domain "example.com" {
  senders = [sender.custom.rely] # ERROR: Reference to undeclared sender
}
