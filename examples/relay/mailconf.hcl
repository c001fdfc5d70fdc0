# mailconf's own SMTP relay, for example.com.
#
#   make relay-cert                       # a self-signed test certificate in certs/ (never committed)
#   bin/mailconf relay serve -c examples/relay
#
# Then submit as alice (password "example-password", an EXAMPLE credential)
# on 127.0.0.1:2525 (plain, loopback only) or 127.0.0.1:5870 (STARTTLS).
# The relay signs every message from example.com with both keys below,
# queues it in spool/ before answering 250, and delivers it by MX.
# relay queue shows what is waiting:
#
#   bin/mailconf relay queue -c examples/relay

domain "example.com" {
  dkim "s2026a" {
    algorithm = "rsa-2048"
    key_file  = "keys/s2026a.pem"
  }
  dkim "s2026e" {
    algorithm = "ed25519"
    key_file  = "keys/s2026e.pem"
  }
}

relay {
  hostname      = "relay.example.com"
  spool_dir     = "spool"
  tls_cert_file = "certs/relay.crt"
  tls_key_file  = "certs/relay.key"

  # Submission with STARTTLS (port 587 in production; a high port here so
  # the example runs without root).
  listener "submission" {
    address = "127.0.0.1:5870"
  }
  # Plain text, for the lab and tests: loopback addresses only.
  listener "loopback" {
    address = "127.0.0.1:2525"
  }

  user "alice" {
    # bcrypt of "example-password": an example credential, never use it.
    password_hash = "$2a$12$KfZ.8g7n9KMozBManGKkAuQ1qRqczOIaEpFHQi9B5BZkSFBDBdST2"
    allowed_from  = ["example.com"]
  }

  max_message_bytes      = 26214400
  max_recipients         = 100
  max_connections_per_ip = 10
  retry_schedule         = ["1m", "5m", "15m", "30m", "1h", "2h"]
  max_queue_lifetime     = "120h"
  metrics_listen         = "127.0.0.1:9187"
}
