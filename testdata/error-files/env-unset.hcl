provider "cloudflare" "main" {
}

domain "example.com" {
  zone = env("MAILCONF_TEST_UNSET") # ERROR: Unset environment variable
}
