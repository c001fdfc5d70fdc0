policy "migrated" {
  mta_sts {
    mode = "enforce"
    id   = "2024-01-01" # ERROR: Invalid MTA-STS id
  }
}

domain "example.com" {
  policy = policy.migrated
  mx {
    host = "mx.example.com"
  }
}

domain "example.net" {
  mx {
    host = "mx.example.net"
  }
  mta_sts {
    mode = "enforce"
    id   = "abcdefghijklmnopqrstuvwxyz0123456" # ERROR: Invalid MTA-STS id
  }
}

domain "example.org" {
  mx {
    host = "mx.example.org"
  }
  mta_sts {
    mode = "enforce"
    id   = "" # ERROR: Invalid MTA-STS id
  }
}
