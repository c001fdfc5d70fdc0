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
