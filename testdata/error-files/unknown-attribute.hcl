domain "example.com" {
  polcy = "strict" # ERROR: Unsupported argument
}
