sender "custom" "relay" {
  ip4 = ["203.0.113.10"]
}

sender "custom" "relay" { # ERROR: Duplicate sender
  ip4 = ["203.0.113.11"]
}

provider "zonefile" "local" {
}

provider "zonefile" "local" { # ERROR: Duplicate provider
}

policy "p" {
  spf {
  }
  spf { # ERROR: Duplicate spf block
  }
}
