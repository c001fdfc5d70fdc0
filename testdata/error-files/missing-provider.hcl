provider "zonefile" "a" {
}

provider "zonefile" "b" {
}

domain "example.com" { # ERROR: Missing provider
}
