domain "example.com" {
}

relay {
  hostname       = "relay.example.com"
  spool_dir      = "spool"
  retry_schedule = ["1m", "soon"] # ERROR: Invalid retry interval

  listener "loopback" {
    address = "0.0.0.0:2525" # ERROR: Plain listener off loopback
  }
  listener "submission" { # ERROR: Listener needs TLS
    address = ":587"
  }
  listener "smtps" { # ERROR: Unknown listener kind
    address = ":465"
  }

  user "alice" {
    password_hash = "hunter2" # ERROR: Invalid password hash
    allowed_from  = ["example.com"]
  }
  user "bob" { # ERROR: Relay user sends for an unmanaged domain
    password_hash = "$2a$12$R9h/cIPz0gi.URNNX3kh2OPST9/PgBkqquzi.Ss7KIUgO2t0jWMUW"
    allowed_from  = ["example.org"]
  }
}
