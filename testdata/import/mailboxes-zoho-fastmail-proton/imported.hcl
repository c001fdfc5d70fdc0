sender "zoho_mail" "example_com" {
  dkim_selector     = "zmail"
  dkim_public_key   = "MIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEAy2omGqavE7/63V3/GbPjTJi/LewnGK0Py70pvFQW29uQzojWKczLPuhJRUJEcrjS5SuzaqbmbxOqN4TebiY2/e+XheQFYdaAKTrSdF7NCVHW3OfPoEHhfDn64EwMizytyAr8ps+1oF83mS1W+xbwPg5Savk3mwSiCdLrKU89b6eDUQX8M8TjIhiqqbPoH0kK9qWLl+r72OOsXUC3yXvUCz3RL2vGmMfwA6ujXGK2T2NNlOVaj/s0PVy+RvGdchMUTIdRlU40O+GCVi3Ebi1sG3DEjPL1BflwCrGR6wjNU2SDd6ofMD2tH3VFALKoBj4OnLE8st7HVYmtPF1/9duqZwIDAQAB"
  verification_code = "zb12345678"
}

sender "fastmail" "main" {
}

sender "proton_mail" "example_org" {
  domain_id          = "dexample0123456789"
  verification_token = "0123456789abcdef0123456789abcdef01234567"
}

policy "quarantine" {
  dmarc {
    policy = "quarantine"
  }
}

domain "example.com" {
  provider = provider.zonefile.live
  policy   = policy.quarantine
  mailbox  = sender.zoho_mail.example_com
  senders  = [sender.zoho_mail.example_com]
}

domain "example.net" {
  provider = provider.zonefile.live
  policy   = policy.quarantine
  mailbox  = sender.fastmail.main
  senders  = [sender.fastmail.main]
}

domain "example.org" {
  provider = provider.zonefile.live
  policy   = policy.quarantine
  mailbox  = sender.proton_mail.example_org
  senders  = [sender.proton_mail.example_org]
}
