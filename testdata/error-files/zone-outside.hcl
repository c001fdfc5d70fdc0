domain "mail.example.com" {
  zone = "example.net" # ERROR: Domain outside its zone
}
