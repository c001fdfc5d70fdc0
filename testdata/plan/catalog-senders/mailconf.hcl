provider "zonefile" "live" {
  dir = "zones"
}

# Google Workspace receives the mail; SendGrid and Mandrill send
# newsletters and receipts; the office scanner relays through its own IP.
sender "google_workspace" "corp" {
  verification_token = "rXOxyZounnZasA8Z7oaD3c14JdjS9aKSWvsR1EbUSIQ"
}

sender "sendgrid" "news" {
  user_id   = 1234567
  wl_id     = "123"
  subdomain = "em1234"
}

sender "mandrill" "receipts" {
  verification_code = "AbCdEf0123456789"
}

sender "custom" "scanner" {
  ip4 = ["203.0.113.7"]
}

domain "example.com" {
  mailbox = sender.google_workspace.corp
  senders = [sender.custom.scanner, sender.google_workspace.corp, sender.mandrill.receipts, sender.sendgrid.news]
  dmarc {
    policy = "quarantine"
  }
}
