domian "example.com" { # ERROR: Unsupported block type
}
