domain "example.com" {
  tls_rpt {
    rua = ["tlsrpt@example.com"] # ERROR: Invalid TLS-RPT report address
  }
}

domain "example.net" {
  tls_rpt { # ERROR: Missing TLS-RPT rua
  }
}
