sender "custom" "many" {
  include = [
    "a.example.net", "b.example.net", "c.example.net", "d.example.net",
    "e.example.net", "f.example.net", "g.example.net", "h.example.net",
  ]
  a  = ["@", "web.example.com"]
  mx = ["@"]
}

domain "example.com" {
  senders = [sender.custom.many] # ERROR: Too many SPF lookups
}
