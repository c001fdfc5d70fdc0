# A domain whose zone lives on your own primary DNS server (BIND, Knot,
# PowerDNS...), changed with RFC 2136 dynamic updates signed with a TSIG key.
#
# Environment variables:
#   MAILCONF_TSIG_SECRET  the TSIG key's secret, in base64: the text between
#                         the quotes after `secret` in the key statement that
#                         `tsig-keygen -a hmac-sha256 mailconf-key` prints.
#
# The zone's configuration on the server (BIND) must let the key update the
# zone and transfer it, since mailconf reads zones by zone transfer (AXFR):
#
#   zone "example.com" {
#       type primary;
#       file "/var/lib/bind/example.com.zone";
#       allow-update   { key "mailconf-key"; };
#       allow-transfer { key "mailconf-key"; };
#   };
#
# BIND refuses an MX whose target is inside the zone but has no A or AAAA
# record: publish mail.example.com's address before applying.

provider "rfc2136" "primary" {
  server         = "ns1.example.com:53"
  tsig_key_name  = "mailconf-key"
  tsig_algorithm = "hmac-sha256" # the default; must match the server's key
  tsig_secret    = env("MAILCONF_TSIG_SECRET")
  zone           = "example.com" # domains in this zone need no `zone`
  concurrency    = 2             # requests in flight at once (default 4)
}

sender "custom" "relay" {
  ip4 = ["203.0.113.10"]
}

domain "example.com" {
  provider = provider.rfc2136.primary
  senders  = [sender.custom.relay]

  mx {
    host       = "mail.example.com"
    preference = 10
  }

  dmarc {
    policy = "quarantine"
    rua    = ["mailto:dmarc-reports@example.com"]
  }

  # The RSA key's TXT record is longer than 255 octets; the provider sends
  # it as one record of several strings.
  dkim "s2026a" {
    algorithm = "rsa-2048"
    key_file  = "keys/s2026a.pem"
  }
  dkim "s2026e" {
    algorithm = "ed25519"
    key_file  = "keys/s2026e.pem"
  }
}
