# A domain whose DNS is hosted at Cloudflare.
#
# Environment variables:
#   CLOUDFLARE_API_TOKEN   required: an API token (My Profile > API Tokens,
#                          not the global API key) with Zone:DNS:Edit for the
#                          zone, and Zone:Zone:Read so mailconf can find it.
#   CLOUDFLARE_ZONE_TOKEN  optional: a separate token with Zone:Zone:Read for
#                          all zones, when the first one is scoped to one zone.
#
#   export CLOUDFLARE_API_TOKEN=...
#   mailconf plan -c examples/cloudflare
#
# mailconf writes TXT records as Cloudflare expects them (quoted strings of at
# most 255 octets, so the 2048-bit DKIM key below stays one record), treats
# Cloudflare's "Auto" TTL as 300 seconds, and never changes the proxy status
# (orange cloud) of a record. It creates its own CNAMEs DNS-only: a proxied
# name answers with Cloudflare's addresses instead of its target.

provider "cloudflare" "main" {
  api_token = env("CLOUDFLARE_API_TOKEN")
  # zone_token = env("CLOUDFLARE_ZONE_TOKEN")
  # concurrency = 4   # API requests in flight; Cloudflare allows 1,200 per 5 minutes
}

sender "custom" "relay" {
  ip4 = ["203.0.113.10"]
}

policy "strict" {
  spf {
    all = "-all"
  }
  dmarc {
    policy           = "reject"
    subdomain_policy = "reject"
    rua              = ["mailto:dmarc-reports@example.com"]
  }
  tls_rpt {
    rua = ["mailto:tlsrpt@example.com"]
  }
}

domain "example.com" {
  provider = provider.cloudflare.main
  policy   = policy.strict
  senders  = [sender.custom.relay]
  ttl      = 3600 # 300 would match Cloudflare's "Auto"

  mx {
    host       = "mx1.example.com"
    preference = 10
  }
  mx {
    host       = "mx2.example.com"
    preference = 20
  }

  dkim "s2026a" {
    algorithm = "rsa-2048"
    key_file  = "keys/example.com/s2026a.pem"
  }
  dkim "s2026e" {
    algorithm = "ed25519"
    key_file  = "keys/example.com/s2026e.pem"
  }
}
