sender "custom" "empty" { # ERROR: Sender authorizes nothing
}
