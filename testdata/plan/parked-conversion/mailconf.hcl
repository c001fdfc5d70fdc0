provider "zonefile" "live" {
  dir = "zones"
}

# The brand moved to example.com; example.org no longer sends or receives.
domain "example.org" {
  parked = true
}
