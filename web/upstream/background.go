package upstream

import (
	"net/url"
	"strconv"
)

// Background names a Responses background response at the provider that
// answered its create request: the addresses that resume its stream, poll
// it and cancel it. Base is the URL the create request was served at, less
// its path (".../v1"); ID is the response's id, escaped as one path segment
// (it comes from the provider).
type Background struct {
	Base string
	ID   string
}

func (b Background) url() string { return b.Base + "/responses/" + url.PathEscape(b.ID) }

// ResumeURL streams the response's events after sequence number after.
func (b Background) ResumeURL(after int) string {
	return b.url() + "?stream=true&starting_after=" + strconv.Itoa(after)
}

// PollURL answers the whole response so far, as JSON.
func (b Background) PollURL() string { return b.url() }

// CancelURL cancels the response (POST).
func (b Background) CancelURL() string { return b.url() + "/cancel" }
