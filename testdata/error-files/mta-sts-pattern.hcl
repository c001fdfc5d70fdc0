domain "example.com" {
  mx {
    host = "mx1.example.com"
  }
  mx {
    host = "mx2.example.net"
  }
  mta_sts {
    mode = "testing"
    mx   = ["*.example.com"] # ERROR: MX host not in MTA-STS policy
  }
}
