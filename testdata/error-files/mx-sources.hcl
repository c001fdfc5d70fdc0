sender "custom" "relay" {
  ip4 = ["203.0.113.10"]
}

domain "example.com" {
  mailbox = sender.custom.relay # ERROR: Mailbox sender receives no mail
  mx { # ERROR: Conflicting MX sources
    host = "mx.example.com"
  }
}

domain "example.net" {
  mx {
    host = "." # ERROR: Null MX in an mx block
  }
}
