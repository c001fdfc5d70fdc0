provider "zonefile" "live" {
  dir = "zones"
}

domain "example.com" {
  mx {
    host = "MX1.Example.COM"
  }
  dmarc {
    policy = "reject"
  }
  dkim "s2048" {
    algorithm = "rsa-2048"
    key_file  = "../../error-files/keys/rsa2048.pem"
  }
}
