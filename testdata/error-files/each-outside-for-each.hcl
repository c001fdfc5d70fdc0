domain "example.com" {
  zone = each.key # ERROR: Reference to "each" outside for_each
}
