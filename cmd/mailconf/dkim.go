package main

import "github.com/spf13/cobra"

func newDKIMCmd(e *env) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "dkim",
		Short: "Manage the DKIM keys mailconf publishes and its relay signs with",
		Long: `dkim manages the lifecycle of the DKIM keys a configuration declares with
dkim "SELECTOR" { ... } blocks: mailconf publishes each key's public half at
SELECTOR._domainkey.DOMAIN, and its relay signs with the active ones.

A key lives through the states next (published, never used to sign), active
(published and signing), retiring (still published, no longer signing, so
that mail already sent still verifies) and retired (revoked: published with
an empty p=).

keygen makes a new key and the block that declares it; rotate moves every
key of a domain one step along that life, as the dkim_rotation periods
allow, and makes the next key when a rotation is due.`,
	}
	cmd.AddCommand(newDKIMKeygenCmd(e), newDKIMRotateCmd(e))
	return cmd
}
