sender "google_workspace" "example_org" {
  mx_set             = "single"
  verification_token = "rXOxyZounnZasA8Z7oaD3c14JdjS9aKSWvsR1EbUSIQ"
}

policy "none" {
  dmarc {
    policy = "none"
    rua    = ["mailto:dmarc@example.org"]
  }
}

domain "example.org" {
  provider = provider.zonefile.live
  policy   = policy.none
  mailbox  = sender.google_workspace.example_org
  senders  = [sender.google_workspace.example_org]
}
