policy "strict" {
}

domain "example.com" {
  mailbox = policy.strict # ERROR: Wrong reference type
}
