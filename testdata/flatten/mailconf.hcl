provider "memory" "m" {
  zones = ["example.com"]
}

sender "custom" "providers" {
  include = [
    "_spf.p1.esp.example",
    "_spf.p2.esp.example",
    "_spf.p3.esp.example",
    "_spf.p4.esp.example",
    "_spf.p5.esp.example",
    "_spf.p6.esp.example",
    "_spf.p7.esp.example",
    "_spf.p8.esp.example",
    "_spf.p9.esp.example",
    "_spf.p10.esp.example",
    "_spf.p11.esp.example",
    "_spf.p12.esp.example",
  ]
}

domain "example.com" {
  senders = [sender.custom.providers]
  spf {
    all     = "-all"
    flatten = "auto"
  }
  dmarc {
    policy = "reject"
  }
}
