policy "open" {
  spf {
    all = "+all" # ERROR: SPF all passes everything
  }
}

policy "typo" {
  spf {
    all = "-al" # ERROR: Invalid SPF all
  }
}

policy "flat" {
  spf {
    flatten = "sometimes" # ERROR: Invalid SPF flatten mode
  }
}
