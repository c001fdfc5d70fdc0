sender "icloud" "example_com" {
  verification_token = "AbCdEfGh12345678"
}

sender "yandex_360" "example_net" {
  dkim_selector   = "mail"
  dkim_public_key = "v=DKIM1; k=rsa; p=MIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEAy2omGqavE7/63V3/GbPjTJi/LewnGK0Py70pvFQW29uQzojWKczLPuhJRUJEcrjS5SuzaqbmbxOqN4TebiY2/e+XheQFYdaAKTrSdF7NCVHW3OfPoEHhfDn64EwMizytyAr8ps+1oF83mS1W+xbwPg5Savk3mwSiCdLrKU89b6eDUQX8M8TjIhiqqbPoH0kK9qWLl+r72OOsXUC3yXvUCz3RL2vGmMfwA6ujXGK2T2NNlOVaj/s0PVy+RvGdchMUTIdRlU40O+GCVi3Ebi1sG3DEjPL1BflwCrGR6wjNU2SDd6ofMD2tH3VFALKoBj4OnLE8st7HVYmtPF1/9duqZwIDAQAB"
}

sender "titan" "main" {
}

policy "none" {
  dmarc {
    policy = "none"
  }
}

domain "example.com" {
  provider = provider.zonefile.live
  policy   = policy.none
  mailbox  = sender.icloud.example_com
  senders  = [sender.icloud.example_com]
}

domain "example.net" {
  provider = provider.zonefile.live
  policy   = policy.none
  mailbox  = sender.yandex_360.example_net
  senders  = [sender.yandex_360.example_net]
}

domain "example.org" {
  provider = provider.zonefile.live
  policy   = policy.none
  mailbox  = sender.titan.main
  senders  = [sender.titan.main]
}
