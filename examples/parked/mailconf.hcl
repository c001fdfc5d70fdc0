# Parked domains: registered to protect the brand, never used for mail.
# Each gets a null MX (RFC 7505), "v=spf1 -all" and DMARC p=reject, so
# receivers reject anything forged in their name.

provider "zonefile" "local" {
  dir = "zones"
}

variable "parked_domains" {
  default = ["example-typo.com", "example-old.net", "example.org"]
}

domain "parked" {
  for_each = toset(var.parked_domains)
  parked   = true

  # Aggregate reports show who tries to send as these domains.
  dmarc {
    rua = ["mailto:dmarc-reports@example.com"]
  }
}
