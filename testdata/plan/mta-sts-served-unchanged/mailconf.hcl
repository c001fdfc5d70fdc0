provider "zonefile" "live" {
  dir = "zones"
}

# Migrated from another tool, which published its own MTA-STS id.
domain "example.com" {
  mx {
    host = "mx1.example.com"
  }
  mx {
    host       = "mx2.example.com"
    preference = 20
  }
  dmarc {
    policy = "reject"
  }
  mta_sts {
    mode = "enforce"
  }
}
