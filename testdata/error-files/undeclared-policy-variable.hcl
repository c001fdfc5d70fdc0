policy "strict" {
}

domain "example.com" {
  policy = policy.strikt # ERROR: Reference to undeclared policy
  zone   = var.zone # ERROR: Reference to undeclared variable
}
