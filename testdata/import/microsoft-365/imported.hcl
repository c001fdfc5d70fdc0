sender "microsoft_365" "example_com" {
  mx_token          = "example-com"
  tenant            = "contoso"
  selector1_cname   = "selector1-example-com._domainkey.contoso.onmicrosoft.com"
  selector2_cname   = "selector2-example-com._domainkey.contoso.onmicrosoft.com"
  verification_code = "ms12345678"
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
  mailbox  = sender.microsoft_365.example_com
  senders  = [sender.microsoft_365.example_com]
}
