domain "example.com" {
  spf {
    raw     = "v=spf1 exists:%%{i}._spf.example.org -all" # ERROR: raw beside other settings
    include = ["_spf.example.net"]
  }
  dmarc {
    raw = "v=DMARC1 p=reject" # ERROR: Invalid raw DMARC record
  }
  tls_rpt {
    raw = "v=TLSRPTv1; rua=mailto:tls@example.com; rua=mailto:x@example.com" # ERROR: Invalid raw TLS-RPT record
  }
}

domain "example.net" {
  spf {
    publish = false # ERROR: publish = false beside other settings
    all     = "-all"
  }
  dkim "imported" {
    published = "v=DKIM1; k=rsa; p=@@@" # ERROR: Invalid published DKIM record
  }
  dkim "both" {
    key_file  = "keys/rsa2048.pem"
    published = "v=DKIM1; p=" # ERROR: published beside key_file
  }
}
