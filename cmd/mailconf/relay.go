package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os/signal"
	"strings"
	"syscall"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/mailconf/mailconf/relay"
	"github.com/mailconf/mailconf/relay/queue"
	"github.com/mailconf/mailconf/schema"
)

func newRelayCmd(e *env) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "relay",
		Short: "mailconf's SMTP relay: authenticated submission, DKIM signing, durable queue, delivery",
	}
	cmd.AddCommand(newRelayServeCmd(e), newRelayQueueCmd(e))
	return cmd
}

func newRelayServeCmd(e *env) *cobra.Command {
	var cf configFlags
	var logFormat string
	cmd := &cobra.Command{
		Use:   "serve",
		Short: "Run the relay of the configuration's relay block",
		Long: `serve listens on the relay block's listeners, accepts mail from its users
for the configuration's domains only (never an open relay), signs each message
with every active DKIM key of its From domain, stores it durably before
answering 250, and delivers it by MX (or through the smarthost), retrying on
deferral and bouncing with a DSN when delivery fails.

SIGTERM or SIGINT stops accepting, lets deliveries in flight finish (up to 30
seconds) and exits; queued messages are delivered after the next start.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			cfg, _, err := cf.load(e)
			if err != nil {
				return err
			}
			if cfg.Relay == nil {
				return fmt.Errorf("the configuration in %s has no relay block", cf.dir)
			}
			r, err := newResolver(cf.resolver)
			if err != nil {
				return err
			}
			var handler slog.Handler
			switch logFormat {
			case "json":
				handler = slog.NewJSONHandler(e.stderr, nil)
			case "text":
				handler = slog.NewTextHandler(e.stderr, nil)
			default:
				return fmt.Errorf("--log-format must be text or json, not %q", logFormat)
			}
			rl, err := relay.New(cfg, relay.Options{Resolver: r, Logger: slog.New(handler)})
			if err != nil {
				return err
			}
			ctx, stop := signal.NotifyContext(cmd.Context(), syscall.SIGTERM, syscall.SIGINT)
			defer stop()
			return rl.Serve(ctx, nil)
		},
	}
	cf.register(cmd)
	cf.registerResolver(cmd, "for MX lookups")
	cmd.Flags().StringVar(&logFormat, "log-format", "text", "log `FORMAT`: text or json")
	return cmd
}

func newRelayQueueCmd(e *env) *cobra.Command {
	var cf configFlags
	cmd := &cobra.Command{
		Use:   "queue [list|flush|delete ID]",
		Short: "Show or act on the relay's queue",
		Long: `queue operates on the spool of the relay block: list (the default) shows the
queued messages and their recipients' state, flush makes every deferred
recipient due now, delete ID removes a message. With a relay running, it asks
that relay through the control socket in the spool directory; otherwise it
opens the spool itself.`,
		Args: cobra.RangeArgs(0, 2),
		RunE: func(cmd *cobra.Command, args []string) error {
			verb := "list"
			if len(args) > 0 {
				verb = args[0]
			}
			if (verb == "delete") != (len(args) == 2) || verb != "list" && verb != "flush" && verb != "delete" {
				return fmt.Errorf("usage: mailconf relay queue [list | flush | delete ID]")
			}
			cfg, _, err := cf.load(e)
			if err != nil {
				return err
			}
			if cfg.Relay == nil {
				return fmt.Errorf("the configuration in %s has no relay block", cf.dir)
			}
			var rest []string
			if len(args) > 1 {
				rest = args[1:]
			}
			return queueCommand(cmd.Context(), e, cfg.Relay, verb, rest)
		},
	}
	cf.register(cmd)
	return cmd
}

func queueCommand(_ context.Context, e *env, rc *schema.Relay, verb string, args []string) error {
	if c, err := relay.DialControl(rc.SpoolDir); err == nil {
		switch verb {
		case "flush":
			return c.Flush()
		case "delete":
			return c.Delete(args[0])
		}
		items, err := c.List()
		if err != nil {
			return err
		}
		return writeQueue(e, items)
	}
	s, err := queue.Open(rc.SpoolDir, queue.Options{Lifetime: rc.MaxQueueLifetime})
	if errors.Is(err, queue.ErrLocked) {
		return fmt.Errorf("a relay holds the spool %s but its control socket does not answer; try again, or stop the relay", rc.SpoolDir)
	}
	if err != nil {
		return err
	}
	defer s.Close()
	switch verb {
	case "flush":
		n, err := relay.Flush(s, e.now())
		if err == nil {
			fmt.Fprintf(e.stdout, "%d message(s) due now; they are delivered when the relay runs.\n", n)
		}
		return err
	case "delete":
		return s.Remove(args[0])
	}
	items, err := s.List()
	if err != nil {
		return err
	}
	return writeQueue(e, items)
}

func writeQueue(e *env, items []*queue.Item) error {
	if len(items) == 0 {
		_, err := fmt.Fprintln(e.stdout, "The queue is empty.")
		return err
	}
	tw := tabwriter.NewWriter(e.stdout, 0, 8, 2, ' ', 0)
	fmt.Fprintln(tw, "ID\tRECEIVED\tSIZE\tFROM\tRECIPIENT\tSTATE\tATTEMPTS\tNEXT\tLAST")
	for _, it := range items {
		from := it.From
		if from == "" {
			from = "<>"
		}
		for _, r := range it.Recipients {
			next := ""
			if r.Status == queue.Pending {
				next = r.NextAttempt.UTC().Format(time.RFC3339)
			}
			fmt.Fprintf(tw, "%s\t%s\t%d\t%s\t%s\t%s\t%d\t%s\t%s\n", it.ID, it.Received.UTC().Format(time.RFC3339), it.Size, from, r.Addr, statusWord(r.Status), r.Attempts, next, strings.TrimSpace(r.LastError))
		}
	}
	return tw.Flush()
}

func statusWord(s queue.Status) string {
	switch s {
	case queue.Pending:
		return "pending"
	case queue.Delivered:
		return "delivered"
	case queue.Failed:
		return "failed"
	}
	return fmt.Sprint(int(s))
}
