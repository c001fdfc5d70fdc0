domain "example.com" {
  provider = provider.zonefile.local
  policy = policy.strict
  senders = [sender.custom.relay, sender.sendgrid.news]

  mx {
    host = "mx1.example.com"
    preference = 10
  }
  mx {
    host       = "mx2.example.com"
    preference = 20
  }
}

# A domain that sends no mail and receives none: null MX, v=spf1 -all and
# DMARC p=reject.
domain "example.org" {
  provider = provider.zonefile.local
  parked   = true
}

domain "example.net" {
  provider = provider.zonefile.local
  policy   = policy.strict
  senders  = [sender.custom.relay]

  mx {
    host       = "mx1.example.com"
      preference = 10
  }
}
