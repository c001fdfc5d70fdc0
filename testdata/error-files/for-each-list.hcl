domain "fleet" {
  for_each = ["a.example", "b.example"] # ERROR: Invalid for_each argument
}
