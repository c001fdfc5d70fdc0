sender "custom" "shared" {
  ip4     = ["203.0.113.10"]
  include = ["_spf.agency.example.net"]
}

policy "reject" {
  dmarc {
    policy = "reject"
    rua    = ["mailto:dmarc@agency.example.net"]
  }
  tls_rpt {
    rua = ["mailto:tlsrpt@agency.example.net"]
  }
}

policy "none" {
  dmarc {
    policy = "none"
    rua    = ["mailto:dmarc@agency.example.net"]
  }
}

domain "client1.example" {
  provider = provider.zonefile.live
  policy   = policy.reject
  senders  = [sender.custom.shared]
  mx {
    host = "mx.agency.example.net"
  }
}

domain "client2.example" {
  provider = provider.zonefile.live
  policy   = policy.reject
  senders  = [sender.custom.shared]
  mx {
    host = "mx.agency.example.net"
  }
}

domain "client3.example" {
  provider = provider.zonefile.live
  policy   = policy.reject
  senders  = [sender.custom.shared]
  mx {
    host = "mx.agency.example.net"
  }
}

domain "client4.example" {
  provider = provider.zonefile.live
  policy   = policy.reject
  senders  = [sender.custom.shared]
  mx {
    host = "mx.agency.example.net"
  }
}

domain "client5.example" {
  provider = provider.zonefile.live
  policy   = policy.none
  senders  = [sender.custom.shared]
  mx {
    host = "mx.agency.example.net"
  }
}

domain "client6.example" {
  provider = provider.zonefile.live
  policy   = policy.none
  senders  = [sender.custom.shared]
  mx {
    host = "mx.agency.example.net"
  }
}
