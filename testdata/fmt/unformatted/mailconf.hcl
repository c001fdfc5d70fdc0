# The provider, senders and policy of the domains in domains.hcl, written
# without care for layout: fmt puts them in canonical layout.

provider "zonefile" "local" {
dir = "zones"   # one RFC 1035 master file per zone
}

sender "custom" "relay" {
    ip4 = [ "203.0.113.10" ]
    ip6 = ["2001:db8::10"]
}

sender "sendgrid" "news" {
	user_id = 1234567
	wl_id = "123"
	subdomain = "em1234"
}

policy "strict" {
  spf { all = "-all" }
  dmarc {
      policy = "reject"
      subdomain_policy = "reject" # the subdomains too
      rua = ["mailto:dmarc-reports@example.net"]
  }
  mta_sts {
    mode="enforce"
    max_age=604800
  }
  tls_rpt {
    rua = ["mailto:tlsrpt@example.net"]
  }
}
