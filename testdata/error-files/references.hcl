sender "custom" "relay" {
  ip4 = ["203.0.113.10"]
}

domain "example.com" {
  senders = [sender.custom] # ERROR: Incomplete reference
}

domain "example.net" {
  mailbox = "sender.custom.relay" # ERROR: Invalid reference
}

domain "example.org" {
  senders = [sender.custom.relay, sender.custom.relay] # ERROR: Duplicate sender
}
