package main

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"time"

	"github.com/mailconf/mailconf/internal/notify"
)

// driftNotifySleep, when set, replaces the pause between notification
// attempts (tests, which must not wait out the backoff).
var driftNotifySleep func(ctx context.Context, d time.Duration) error

// notifyDrift posts the report to the webhook. The payload is built from
// the report alone, which holds records, server names and messages and
// never a provider's credentials or any other secret of the
// configuration.
func notifyDrift(ctx context.Context, e *env, o driftOptions, rep *driftReport) error {
	var body bytes.Buffer
	if o.notifyFormat == "slack" {
		enc := json.NewEncoder(&body)
		enc.SetEscapeHTML(false)
		if err := enc.Encode(driftSlack(rep)); err != nil {
			return err
		}
	} else if err := writeDriftJSON(&body, rep); err != nil {
		return err
	}
	client := e.httpClient
	if client == nil {
		client = &http.Client{}
	}
	w := &notify.Webhook{URL: o.notifyURL, Client: client, Now: e.now, Sleep: driftNotifySleep}
	return w.Post(ctx, "application/json", body.Bytes())
}
