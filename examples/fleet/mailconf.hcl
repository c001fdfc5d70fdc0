# A fleet: 50 client domains, one shared policy, one block.
# Each domain gets its own DKIM key file, keys/<domain>.pem.

provider "zonefile" "local" {
  dir = "zones"
}

sender "custom" "esp" {
  ip4     = ["198.51.100.0/24"]
  include = ["_spf.mailer.example.net"]
}

policy "agency" {
  dmarc {
    policy           = "quarantine"
    subdomain_policy = "reject"
    rua              = ["mailto:dmarc@reports.example.net"]
  }
  tls_rpt {
    rua = ["mailto:tlsrpt@reports.example.net"]
  }
}

domain "clients" {
  for_each = toset(var.clients)

  provider = provider.zonefile.local
  policy   = policy.agency
  senders  = [sender.custom.esp]
  ttl      = 1800

  mx {
    host       = "mx.mailer.example.net"
    preference = 10
  }

  dkim "agency1" {
    algorithm = "ed25519"
    key_file  = "keys/${each.key}.pem"
  }
}
