probe {
  to = "probe@probe.example.net"
  imap {
    host        = "imap.example.net"
    username    = "probe"
    password    = "x"
    authserv_id = "mx example net" # ERROR: Invalid authserv_id
  }
}
