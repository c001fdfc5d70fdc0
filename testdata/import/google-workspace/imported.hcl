sender "google_workspace" "example_com" {
  dkim_public_key    = "MIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEAy2omGqavE7/63V3/GbPjTJi/LewnGK0Py70pvFQW29uQzojWKczLPuhJRUJEcrjS5SuzaqbmbxOqN4TebiY2/e+XheQFYdaAKTrSdF7NCVHW3OfPoEHhfDn64EwMizytyAr8ps+1oF83mS1W+xbwPg5Savk3mwSiCdLrKU89b6eDUQX8M8TjIhiqqbPoH0kK9qWLl+r72OOsXUC3yXvUCz3RL2vGmMfwA6ujXGK2T2NNlOVaj/s0PVy+RvGdchMUTIdRlU40O+GCVi3Ebi1sG3DEjPL1BflwCrGR6wjNU2SDd6ofMD2tH3VFALKoBj4OnLE8st7HVYmtPF1/9duqZwIDAQAB"
  verification_token = "rXOxyZounnZasA8Z7oaD3c14JdjS9aKSWvsR1EbUSIQ"
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
  senders  = [sender.google_workspace.example_com]
}
