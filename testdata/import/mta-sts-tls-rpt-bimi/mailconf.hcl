provider "zonefile" "live" {
  dir = "zones"
}
