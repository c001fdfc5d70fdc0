domain "example.com" {
  ttl = -5 # ERROR: Invalid TTL
}

domain "example.net" {
  ttl = 1.5 # ERROR: Invalid number
}
