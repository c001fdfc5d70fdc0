domain "exa mple.com" { # ERROR: Invalid domain name
}

domain "localhost" { # ERROR: Invalid domain name
}
