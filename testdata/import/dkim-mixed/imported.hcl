sender "google_workspace" "example_com" {
  dkim_public_key    = "MIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEAy2omGqavE7/63V3/GbPjTJi/LewnGK0Py70pvFQW29uQzojWKczLPuhJRUJEcrjS5SuzaqbmbxOqN4TebiY2/e+XheQFYdaAKTrSdF7NCVHW3OfPoEHhfDn64EwMizytyAr8ps+1oF83mS1W+xbwPg5Savk3mwSiCdLrKU89b6eDUQX8M8TjIhiqqbPoH0kK9qWLl+r72OOsXUC3yXvUCz3RL2vGmMfwA6ujXGK2T2NNlOVaj/s0PVy+RvGdchMUTIdRlU40O+GCVi3Ebi1sG3DEjPL1BflwCrGR6wjNU2SDd6ofMD2tH3VFALKoBj4OnLE8st7HVYmtPF1/9duqZwIDAQAB"
  verification_token = "rXOxyZounnZasA8Z7oaD3c14JdjS9aKSWvsR1EbUSIQ"
}

sender "mailchimp" "main" {
}

sender "custom" "example_com" {
  ip4 = ["203.0.113.10"]
}

policy "reject" {
  dmarc {
    policy = "reject"
  }
}

domain "example.com" {
  provider = provider.zonefile.live
  policy   = policy.reject
  mailbox  = sender.google_workspace.example_com
  senders  = [sender.custom.example_com, sender.google_workspace.example_com, sender.mailchimp.main]
  dkim "s2024" {
    published = "v=DKIM1; k=rsa; p=MIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEApbOvFaDOvgZhivgeNJxGqSXniatVXvGyAvCqDdHvlgJ7otxZy4HhJyuUikFU9mWiQU0J/gZMQGmqxdVyjnMjAEOvurgyHBWGnxIPXIRAw9KUM28hOL1vpx/JE7Mwoagh1Gd2UYBhTGTxjaQnx87lK5Z8nKEhYO7iyS2nvSSvwSjNbKI34y1FdHfZC3Lkr4zqTAvTkU/+f7ddotUkJQQ6u5eY0xBjWKgOk5ekW2z0hiMgG9OKgdtJXzABU1CDlwPhuYxEZgEzjyXHFM3Wuf4KaeG9yn//KsiriWzVTdAzo+sifSoSUSbR6TBRo0ZdrykjHsUlTeht1BfElisq9TbtgQIDAQAB"
  }
  dkim "s2024e" {
    published = "v=DKIM1; k=ed25519; p=UJs8HqmM/QSnj+rzgVsyKUaB7TGko8ufyAfDp/p2Lq4="
  }
}
