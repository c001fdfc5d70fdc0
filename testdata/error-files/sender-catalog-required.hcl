sender "sendgrid" "news" { # ERROR: Missing required argument
  user_id   = 1234567
  subdomain = "em1234"
}

sender "zoho_mail" "mail" { # ERROR: Missing required argument
  dkim_public_key = "MIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8A"
}

sender "google_workspace" "corp" {
  dkim_public_key = "not a key!" # ERROR: Invalid DKIM public key
}
