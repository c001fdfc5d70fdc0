# Already in canonical layout: fmt leaves it alone.
variable "ttl" {
  default = 3600
}
