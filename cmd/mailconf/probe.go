package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os/signal"
	"syscall"
	"time"

	"github.com/spf13/cobra"

	"github.com/mailconf/mailconf/verify/receiver"
)

func newProbeCmd(e *env) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "probe",
		Short: "The probe receiver that evaluates SPF, DKIM and DMARC as a mailbox provider does",
	}
	cmd.AddCommand(newProbeServeCmd(e))
	return cmd
}

func newProbeServeCmd(e *env) *cobra.Command {
	var smtpAddr, httpAddr, hostname, resolver string
	var ttl time.Duration
	cmd := &cobra.Command{
		Use:   "serve",
		Short: "Receive probe messages and keep their verdicts",
		Long: `serve runs an SMTP server that, for every incoming message, evaluates SPF
(connecting IP, HELO, MAIL FROM), verifies every DKIM signature, evaluates
DMARC (policy and organizational domain by the RFC 9989 tree walk, relaxed and
strict alignment) and BIMI eligibility, and keeps the verdict, with an RFC 8601
Authentication-Results header, under the message's probe token (the
X-Mailconf-Probe header, else the Message-ID) for --retention. It never relays
or stores the message itself.

Verdicts are read over HTTP: GET /verdicts/TOKEN with
"Authorization: Bearer $MAILCONF_PROBE_API_TOKEN" (required to start).

SIGTERM or SIGINT stops it.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			token, ok := e.lookupEnv("MAILCONF_PROBE_API_TOKEN")
			if !ok || len(token) < 16 {
				return errors.New("set MAILCONF_PROBE_API_TOKEN to a secret of at least 16 characters: the verdict API refuses every request without it")
			}
			r, err := newResolver(resolver)
			if err != nil {
				return err
			}
			log := slog.New(slog.NewTextHandler(e.stderr, nil))
			srv := &receiver.Server{Resolver: r, APIToken: token, Hostname: hostname, TTL: ttl}
			smtpLn, err := net.Listen("tcp", smtpAddr)
			if err != nil {
				return fmt.Errorf("probe: SMTP listener: %w", err)
			}
			httpLn, err := net.Listen("tcp", httpAddr)
			if err != nil {
				smtpLn.Close()
				return fmt.Errorf("probe: HTTP listener: %w", err)
			}
			hs := &http.Server{Handler: srv.Handler(), ReadHeaderTimeout: 5 * time.Second}
			ctx, stop := signal.NotifyContext(cmd.Context(), syscall.SIGTERM, syscall.SIGINT)
			defer stop()
			errc := make(chan error, 2)
			go func() { errc <- srv.Serve(smtpLn) }()
			go func() { errc <- hs.Serve(httpLn) }()
			log.Info("probe receiver", "smtp", smtpLn.Addr().String(), "http", httpLn.Addr().String())
			var runErr error
			select {
			case <-ctx.Done():
			case runErr = <-errc:
			}
			srv.Close()
			sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
			defer cancel()
			hs.Shutdown(sctx)
			log.Info("probe receiver stopped")
			if runErr != nil && !errors.Is(runErr, http.ErrServerClosed) && !errors.Is(runErr, net.ErrClosed) {
				return runErr
			}
			return nil
		},
	}
	cmd.Flags().StringVar(&smtpAddr, "smtp", "127.0.0.1:2526", "SMTP `ADDRESS` to receive probes on (port 25 to receive from the Internet)")
	cmd.Flags().StringVar(&httpAddr, "http", "127.0.0.1:8026", "HTTP `ADDRESS` of the verdict API")
	cmd.Flags().StringVar(&hostname, "hostname", "", "the receiver's host name, in its greeting and Authentication-Results")
	cmd.Flags().StringVar(&resolver, "resolver", "", "DNS server `HOST:PORT` for SPF, DKIM and DMARC lookups (default: the system's)")
	cmd.Flags().DurationVar(&ttl, "retention", receiver.DefaultTTL, "how long verdicts are kept")
	return cmd
}
