sender "custom" "example_com" {
  ip4 = ["203.0.113.10"]
}

policy "reject" {
  dmarc {
    policy           = "reject"
    subdomain_policy = "reject"
  }
  mta_sts {
    mode    = "enforce"
    max_age = 86400
  }
  tls_rpt {
    rua = ["mailto:tlsrpt@example.com"]
  }
}

domain "example.com" {
  provider = provider.zonefile.live
  policy   = policy.reject
  senders  = [sender.custom.example_com]
  mx {
    host = "mx1.example.com"
  }
  mx {
    host       = "mx2.example.com"
    preference = 20
  }
  bimi {
    logo = "https://example.com/bimi/logo.svg"
  }
}
