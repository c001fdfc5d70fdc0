package notify

import (
	"strconv"
	"strings"
	"unicode/utf8"
)

// Slack's limits on an incoming-webhook message (Block Kit reference):
// at most 50 blocks, a section's text at most 3000 characters, a header's
// at most 150, the fallback text at most 40,000.
const (
	slackMaxBlocks      = 50
	slackMaxSectionText = 3000
	slackMaxHeaderText  = 150
	slackMaxText        = 40000
)

// SlackMessage is the payload of a Slack incoming webhook, which also
// Mattermost and Rocket.Chat accept: Text is the notification's fallback,
// Blocks the message as shown.
type SlackMessage struct {
	Text   string       `json:"text"`
	Blocks []SlackBlock `json:"blocks,omitempty"`
}

// SlackBlock is one Block Kit layout block: "header" and "section" have
// Text; "context" has Elements; "divider" has neither.
type SlackBlock struct {
	Type     string      `json:"type"`
	Text     *SlackText  `json:"text,omitempty"`
	Elements []SlackText `json:"elements,omitempty"`
}

// SlackText is a text object: Type "mrkdwn" or "plain_text".
type SlackText struct {
	Type string `json:"type"`
	Text string `json:"text"`
}

// Header is a header block of plain text.
func Header(text string) SlackBlock {
	return SlackBlock{Type: "header", Text: &SlackText{Type: "plain_text", Text: truncate(text, slackMaxHeaderText)}}
}

// Section is a section block of mrkdwn text (escape it with SlackEscape).
func Section(mrkdwn string) SlackBlock {
	return SlackBlock{Type: "section", Text: &SlackText{Type: "mrkdwn", Text: truncate(mrkdwn, slackMaxSectionText)}}
}

// Context is a context block of one mrkdwn element.
func Context(mrkdwn string) SlackBlock {
	return SlackBlock{Type: "context", Elements: []SlackText{{Type: "mrkdwn", Text: truncate(mrkdwn, slackMaxSectionText)}}}
}

// Divider is a divider block.
func Divider() SlackBlock { return SlackBlock{Type: "divider"} }

// Fit makes the message acceptable to Slack: at most 50 blocks, the last
// one saying how many were left out (more says what to run to see them).
func (m *SlackMessage) Fit(more string) {
	m.Text = truncate(m.Text, slackMaxText)
	if len(m.Blocks) <= slackMaxBlocks {
		return
	}
	left := len(m.Blocks) - (slackMaxBlocks - 1)
	m.Blocks = append(m.Blocks[:slackMaxBlocks-1], Context(SlackEscape(strings.TrimSpace(
		plural(left, "more block")+" left out. "+more))))
}

func plural(n int, word string) string {
	if n == 1 {
		return "1 " + word
	}
	return strconv.Itoa(n) + " " + word + "s"
}

// SlackEscape escapes the three characters Slack's mrkdwn gives meaning
// to in any position ("Formatting text for app surfaces": &, < and >).
func SlackEscape(s string) string {
	return strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;").Replace(s)
}

// truncate cuts s to at most n characters, ending in "…" when cut.
func truncate(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	r := []rune(s)
	return string(r[:n-1]) + "…"
}
