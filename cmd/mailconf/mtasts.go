package main

import (
	"fmt"
	"io"
	"strings"

	"github.com/spf13/cobra"
)

func newMTASTSPolicyCmd(e *env) *cobra.Command {
	var cf configFlags
	cmd := &cobra.Command{
		Use:   "mta-sts-policy DOMAIN",
		Short: "Print the MTA-STS policy file to serve for a domain",
		Long: `mta-sts-policy prints the policy file that must be served at
https://mta-sts.DOMAIN/.well-known/mta-sts.txt (RFC 8461 section 3.3). Its id,
published in _mta-sts.DOMAIN, is derived from this text, so it changes exactly
when the policy does; an id in the mta_sts block is published instead.

A domain that already publishes another id (migrated from another tool)
keeps it: plan, apply and verify fetch the policy the domain serves, and
when it is this one (line endings, spacing, field order and mx order aside)
the live id stays. Serve a changed policy before applying the plan that
changes its id, or senders cache the old policy under the new id.`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			_, desired, err := cf.load(e)
			if err != nil {
				return err
			}
			name := strings.ToLower(strings.TrimSuffix(args[0], "."))
			d := desired.Domain(name)
			if d == nil {
				return fmt.Errorf("domain %q is not in the configuration", args[0])
			}
			if d.MTASTSPolicy == "" {
				return fmt.Errorf("domain %s has no mta_sts settings, so it has no MTA-STS policy", name)
			}
			_, err = io.WriteString(e.stdout, d.MTASTSPolicy)
			return err
		},
	}
	cf.register(cmd)
	return cmd
}
