# A domain whose zone is a public hosted zone in Amazon Route 53.
#
# Environment variables:
#   AWS_ACCESS_KEY_ID      an access key of an IAM identity allowed
#   AWS_SECRET_ACCESS_KEY  route53:ListHostedZones, route53:ListHostedZonesByName,
#                          route53:GetHostedZone, route53:ListResourceRecordSets,
#                          route53:ChangeResourceRecordSets and route53:GetChange
#   AWS_SESSION_TOKEN      only with temporary credentials: uncomment
#                          session_token below
#
# Without the three credential lines, the AWS credential chain is used
# instead: those same variables, AWS_PROFILE (or `profile = "..."` here),
# SSO, a container or an instance role.
#
# mailconf finds the hosted zone by name and uses the public one. Set
# hosted_zone_id when the account holds several public zones of that name,
# or to manage a private zone on purpose.

provider "route53" "aws" {
  region            = "us-east-1" # Route 53 is global; this only signs requests
  access_key_id     = env("AWS_ACCESS_KEY_ID")
  secret_access_key = env("AWS_SECRET_ACCESS_KEY")
  # session_token   = env("AWS_SESSION_TOKEN")
  # hosted_zone_id  = "Z1D633PJN98FT9"
  concurrency = 2 # zones worked on at once (default 4); Route 53 allows 5 requests a second
}

sender "custom" "relay" {
  ip4 = ["203.0.113.10"]
}

domain "example.com" {
  provider = provider.route53.aws
  senders  = [sender.custom.relay]

  mx {
    host       = "mail.example.com"
    preference = 10
  }

  dmarc {
    policy = "quarantine"
    rua    = ["mailto:dmarc-reports@example.com"]
  }

  # The RSA key's TXT record is longer than 255 octets; Route 53 gets it as
  # one value of several quoted strings, "..." "...".
  dkim "s2026a" {
    algorithm = "rsa-2048"
    key_file  = "keys/s2026a.pem"
  }
  dkim "s2026e" {
    algorithm = "ed25519"
    key_file  = "keys/s2026e.pem"
  }
}
