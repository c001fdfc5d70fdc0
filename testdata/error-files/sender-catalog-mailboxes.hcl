sender "google_workspace" "corp" {}

sender "microsoft_365" "legacy" {
  mx_token = "example-com"
}

sender "sendgrid" "news" {
  user_id   = 1234567
  wl_id     = "123"
  subdomain = "em1234"
}

domain "example.com" {
  mailbox = sender.sendgrid.news # ERROR: Mailbox sender receives no mail
  senders = [
    sender.google_workspace.corp,
    sender.microsoft_365.legacy, # WARNING: Two mailbox services
  ]
}
