package problem

import (
	"fmt"
	"net/http"

	"github.com/playground-dev/playground/web/units"
)

// BodyTooLarge says a request was over the server's body limit of limit
// bytes. The page shows the same words when it refuses to send such a
// form.
func BodyTooLarge(limit int64) *Error {
	return &Error{Kind: KindTooLarge, Message: fmt.Sprintf("The request is larger than this server accepts (%s). Remove some images or text and try again; the form is as you left it.", units.Bytes(limit))}
}

// HeadersTooLarge says a request's headers were more than the server
// reads (limit bytes), most often cookies piled up for the host; the
// session cookie is cleared by whoever answers it (431).
func HeadersTooLarge(limit int64) *Error {
	return &Error{Kind: KindTooLarge, Status: http.StatusRequestHeaderFieldsTooLarge,
		Message: fmt.Sprintf("Your browser sent more cookies or headers than this server reads (%s). The playground's session cookie has been cleared (the keys you entered in Settings are gone); reload the page. If this page comes back, clear this site's cookies in your browser.", units.Bytes(limit))}
}
