variable "logo" {
  default = file("no-such-file.txt") # ERROR: Unreadable file
}
