provider "zonefile" "live" {
  dir = "zones"
}

domain "example.com" {
  mx {
    host = "mx1.example.com"
  }
  dmarc {
    policy = "reject"
  }
  mta_sts {
    mode = "enforce"
  }
  tls_rpt {
    rua = ["mailto:tlsrpt@example.com"]
  }
}
