sender "mailgun" "mg" {
  region   = "de" # ERROR: Invalid sender parameter
  tracking = "yes please" # ERROR: Incorrect attribute value type
}

sender "proton_mail" "mail" {
  domain_id = "x-123" # ERROR: Invalid sender parameter
}

sender "sendgird" "news" {} # ERROR: Unknown sender type

sender "postmark" "tx" {
  bounce = "pm-bounces" # ERROR: Unsupported argument
}
