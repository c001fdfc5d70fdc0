package main

import (
	"fmt"

	"github.com/spf13/cobra"
)

func newValidateCmd(e *env) *cobra.Command {
	var cf configFlags
	cmd := &cobra.Command{
		Use:   "validate",
		Short: "Check the configuration and the records it compiles to, without any network access",
		Long: `validate reads every *.hcl file of the configuration directory, resolves
references, reads the DKIM key files, checks the provider blocks and compiles
the records, reporting every mistake with its file, line and column. It never
contacts a provider or the DNS.

Exit codes: 0 valid (warnings allowed), 1 invalid.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			cfg, desired, err := cf.load(e)
			if err != nil {
				return err
			}
			// Provider blocks are decoded too: their attributes are
			// checked without contacting the provider.
			if _, err := buildClients(e, cfg); err != nil {
				return err
			}
			sets := 0
			for _, d := range desired.Domains {
				sets += len(d.Sets)
			}
			fmt.Fprintf(e.stdout, "The configuration is valid: %s, %s.\n", plural(len(cfg.Domains), "domain"), plural(sets, "record set"))
			return nil
		},
	}
	cf.register(cmd)
	return cmd
}
