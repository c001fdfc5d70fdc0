sender "google_workspace" "example_com" {
  verification_token = "rXOxyZounnZasA8Z7oaD3c14JdjS9aKSWvsR1EbUSIQ"
}

sender "zendesk" "example_com" {
  verification_code = "abc1234567890"
}

sender "custom" "example_com" {
  ip4 = ["192.0.2.10"]
}

sender "custom" "example_com_2" {
  ip4 = ["192.0.2.11"]
  ip6 = ["2001:db8::11"]
}

policy "none" {
  dmarc {
    policy = "none"
  }
}

domain "example.com" {
  provider = provider.zonefile.live
  policy   = policy.none
  mailbox  = sender.google_workspace.example_com
  senders  = [sender.google_workspace.example_com, sender.custom.example_com, sender.zendesk.example_com, sender.custom.example_com_2]
}
