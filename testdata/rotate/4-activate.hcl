# The quickstart: two mail domains kept in local zone files.
# No account and no network needed: `make demo` plans and applies it.

provider "zonefile" "local" {
  dir = "zones" # one RFC 1035 master file per zone: zones/example.com.zone, ...
}

# The mail server of our own that sends for both domains.
sender "custom" "relay" {
  ip4 = ["203.0.113.10"]
  ip6 = ["2001:db8::10"]
}

# Services from mailconf's sender catalog (`mailconf senders list`): mailconf
# knows their MX hosts, SPF include, DKIM records and return-path names. The
# values are the ones each service shows when you add the domain there; these
# are examples.
sender "google_workspace" "corp" {
  verification_token = "rXOxyZounnZasA8Z7oaD3c14JdjS9aKSWvsR1EbUSIQ"
}

sender "sendgrid" "news" {
  user_id   = 1234567
  wl_id     = "123"
  subdomain = "em1234"
}

policy "strict" {
  spf {
    all = "-all"
  }
  dmarc {
    policy           = "reject"
    subdomain_policy = "reject"
    rua              = ["mailto:dmarc-reports@example.net"]
  }
  mta_sts {
    mode    = "enforce"
    max_age = 604800
  }
  tls_rpt {
    rua = ["mailto:tlsrpt@example.net"]
  }
}

domain "example.com" {
  provider = provider.zonefile.local
  policy   = policy.strict
  # SPF lists the senders in this order: the relay's addresses first.
  senders = [sender.custom.relay, sender.sendgrid.news]

  mx {
    host       = "mx1.example.com"
    preference = 10
  }
  mx {
    host       = "mx2.example.com"
    preference = 20
  }

  dkim "s2026a" {
    algorithm    = "rsa-2048"
    key_file     = "keys/example.com/s2026a.pem"
    state        = "retiring"
    retire_after = "2026-12-13T13:10:00Z"
  }
  dkim "s2026e" {
    algorithm    = "ed25519"
    key_file     = "keys/example.com/s2026e.pem"
    state        = "retiring"
    retire_after = "2026-12-13T13:10:00Z"
  }

  dkim "s2026b" {
    algorithm = "rsa-2048"
    key_file  = "keys/example.com/s2026b.pem"
    state     = "active"
    created   = "2026-12-06T11:00:00Z"
    activated = "2026-12-06T13:10:00Z"
  }

  dkim "s2026c" {
    algorithm = "ed25519"
    key_file  = "keys/example.com/s2026c.pem"
    state     = "active"
    created   = "2026-12-06T11:00:00Z"
    activated = "2026-12-06T13:10:00Z"
  }
}

domain "example.net" {
  provider = provider.zonefile.local
  policy   = policy.strict
  mailbox  = sender.google_workspace.corp # MX from the catalog
  senders  = [sender.custom.relay, sender.google_workspace.corp]

  dkim "s2026e" {
    algorithm = "ed25519"
    key_file  = "keys/example.net/s2026e.pem"
  }

  # This domain only tests TLS for now.
  mta_sts {
    mode = "testing"
  }
}

# mailconf's own relay: it signs with the keys above and sends from the
# addresses sender.custom.relay authorizes. `mailconf verify --lab` (the last
# step of `make demo`) sends each domain's probe through it, offline.
relay {
  hostname  = "relay.example.com"
  spool_dir = "spool"
  addresses = ["203.0.113.10", "2001:db8::10"]

  listener "loopback" {
    address = "127.0.0.1:2525"
  }

  user "alice" {
    # bcrypt of "example-password": an example credential, never use it.
    password_hash = "$2a$12$KfZ.8g7n9KMozBManGKkAuQ1qRqczOIaEpFHQi9B5BZkSFBDBdST2"
    allowed_from  = ["example.com", "example.net"]
  }
}
