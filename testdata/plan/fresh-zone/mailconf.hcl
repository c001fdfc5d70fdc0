provider "zonefile" "live" {
  dir = "zones"
}

sender "custom" "relay" {
  ip4 = ["203.0.113.10"]
}

domain "example.com" {
  senders = [sender.custom.relay]
  mx {
    host = "mx1.example.com"
  }
  dmarc {
    policy = "reject"
    rua    = ["mailto:dmarc@example.com"]
  }
  dkim "s1" {
    key_file = "../../error-files/keys/ed25519.pem"
  }
  mta_sts {
    mode = "enforce"
  }
  tls_rpt {
    rua = ["mailto:tlsrpt@example.com"]
  }
  bimi {
    logo = "https://example.com/bimi/logo.svg"
  }
}
