probe { # ERROR: Probe needs one verdict source
  to      = "not-an-address" # ERROR: Invalid probe address
  timeout = "soon" # ERROR: Invalid probe timeout
}
