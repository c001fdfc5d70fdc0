sender "costum" "relay" { # ERROR: Unknown sender type
  ip4 = ["203.0.113.10"]
}
