sender "custom" "relay" {
  ip4 = ["203.0.113.10", "203.0.113.300/24"] # ERROR: Invalid SPF ip4
}
