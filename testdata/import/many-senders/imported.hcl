sender "brevo" "example_com" {
  brand_subdomain   = "info"
  verification_code = "0123456789abcdef0123456789abcdef"
}

sender "google_workspace" "example_com" {
  verification_token = "rXOxyZounnZasA8Z7oaD3c14JdjS9aKSWvsR1EbUSIQ"
}

sender "amazon_ses" "example_com" {
  dkim_token_1        = "abcdefghijklmnopqrstuvwxyz012345"
  dkim_token_2        = "bcdefghijklmnopqrstuvwxyz0123456"
  dkim_token_3        = "cdefghijklmnopqrstuvwxyz01234567"
  mail_from_subdomain = "mail"
  region              = "us-east-1"
  verification_token  = "AbCdEfGh0123456789+/AbCdEfGh0123456789ab="
}

sender "sendgrid" "example_com" {
  user_id        = 1234567
  wl_id          = "123"
  subdomain      = "em1234"
  link_subdomain = "url1234"
}

sender "mandrill" "example_com" {
  verification_code = "AbCdEf0123456789"
}

sender "hubspot" "example_com" {
  hub_id      = 1234567
  spf_number  = "12"
  dkim_number = "12"
}

sender "mailgun" "example_com" {
  dkim_selector   = "krs"
  dkim_public_key = "MIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEAy2omGqavE7/63V3/GbPjTJi/LewnGK0Py70pvFQW29uQzojWKczLPuhJRUJEcrjS5SuzaqbmbxOqN4TebiY2/e+XheQFYdaAKTrSdF7NCVHW3OfPoEHhfDn64EwMizytyAr8ps+1oF83mS1W+xbwPg5Savk3mwSiCdLrKU89b6eDUQX8M8TjIhiqqbPoH0kK9qWLl+r72OOsXUC3yXvUCz3RL2vGmMfwA6ujXGK2T2NNlOVaj/s0PVy+RvGdchMUTIdRlU40O+GCVi3Ebi1sG3DEjPL1BflwCrGR6wjNU2SDd6ofMD2tH3VFALKoBj4OnLE8st7HVYmtPF1/9duqZwIDAQAB"
  tracking        = true
}

sender "postmark" "example_com" {
  dkim_selector   = "20240101120000pm"
  dkim_public_key = "MIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEAk3JwZWAcCkcTNVHJANs3g+Ueh4HcouRDA5ii95ySGWlybE0iGvBvHdKA8inx9HB3ri5AqPYcVuoY5SYm4Rrn7elZNd5ZSibAsctonIwTsXvLbAMCA3f0ROj/Jy3fGmIPom1zgOG0eL1vxGZ37K5obAqZmQ++9Ivf8VcOHnp2EETVOLck9WJ7jFfoX+jnDesMxiMm/MoeyB/4T0lun+c3KGItly1hYGrZ2pDy20JgfAfUPQhjdrpPE3bh+sm9LCKYcdeUNG+TjtZfeSmmo3kdShhFVacBQlVAgQOhX7rVeRIMR2HUNQr/qRoOBDYRpnclFLTPBJVoAhVUCPWkqfuwYwIDAQAB"
}

policy "reject" {
  dmarc {
    policy           = "reject"
    subdomain_policy = "reject"
    rua              = ["mailto:dmarc@reports.example.net"]
  }
}

domain "example.com" {
  provider = provider.zonefile.live
  policy   = policy.reject
  mailbox  = sender.google_workspace.example_com
  senders  = [sender.google_workspace.example_com, sender.mailgun.example_com, sender.mandrill.example_com, sender.hubspot.example_com, sender.brevo.example_com, sender.amazon_ses.example_com, sender.sendgrid.example_com, sender.postmark.example_com]
}
