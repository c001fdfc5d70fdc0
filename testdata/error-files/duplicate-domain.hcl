domain "example.com" {
}

domain "Example.com." { # ERROR: Duplicate domain
}
