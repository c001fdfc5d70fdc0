provider "zonefile" "live" {
  dir = "zones"
}

# Domains migrated from another tool keep the MTA-STS id it published.
policy "migrated" {
  dmarc {
    policy = "reject"
  }
  mta_sts {
    mode = "enforce"
    id   = "20240101000000"
  }
}

# Live id equal to the configured one: nothing to do.
domain "example.com" {
  policy = policy.migrated
  mx {
    host = "mx1.example.com"
  }
}

# The domain's own id overrides the policy's and replaces the live one.
domain "example.net" {
  policy = policy.migrated
  mx {
    host = "mx1.example.net"
  }
  mta_sts {
    id = "2025a"
  }
}
