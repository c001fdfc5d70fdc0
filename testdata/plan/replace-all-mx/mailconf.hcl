provider "zonefile" "live" {
  dir = "zones"
}

domain "example.com" {
  mx {
    host = "mx.new-provider.example"
  }
}
