// Package problem is the one shape of an error a person reads: what kind
// of failure it is (which decides the HTTP status), the message, what to
// do about it, and, for a form, the field it is about. Domain packages
// return a *Error for what the person may read; anything else is an
// internal failure, answered with a fixed text and logged (its words may
// echo a request, a key or a server's inside).
//
// After benbjohnson/wtf's error.go: a small closed set of kinds, a message
// written for the person, and functions that read any error as a problem.
package problem

import (
	"errors"
	"fmt"
	"net/http"
	"time"
)

// Kind is what sort of failure an error is.
type Kind string

// The kinds. Each has an HTTP status (Kind.Status).
const (
	KindInvalid     Kind = "invalid"      // the person's input is wrong: 422
	KindNotFound    Kind = "not_found"    // no such thing (or not the asker's): 404
	KindConflict    Kind = "conflict"     // cannot be done in the thing's state: 409
	KindUpstream    Kind = "upstream"     // the provider failed: 502
	KindRateLimited Kind = "rate_limited" // a limit refused it for now: 429
	KindUnavailable Kind = "unavailable"  // the server cannot do it now or as configured: 503
	KindTooLarge    Kind = "too_large"    // the request is larger than allowed: 413
	KindInternal    Kind = "internal"     // a bug or a failure of ours: 500
)

// InternalMessage is what a person reads of an internal error.
const InternalMessage = "Something went wrong on our side. It has been logged."

// Status is the HTTP status of an error of kind k (500 for an unknown kind).
func (k Kind) Status() int {
	switch k {
	case KindInvalid:
		return http.StatusUnprocessableEntity
	case KindNotFound:
		return http.StatusNotFound
	case KindConflict:
		return http.StatusConflict
	case KindUpstream:
		return http.StatusBadGateway
	case KindRateLimited:
		return http.StatusTooManyRequests
	case KindUnavailable:
		return http.StatusServiceUnavailable
	case KindTooLarge:
		return http.StatusRequestEntityTooLarge
	}
	return http.StatusInternalServerError
}

// KindOfStatus is the kind of an HTTP error status (Internal for 5xx
// other than 502 and 503, Invalid for other 4xx).
func KindOfStatus(status int) Kind {
	switch status {
	case http.StatusNotFound, http.StatusGone:
		return KindNotFound
	case http.StatusConflict:
		return KindConflict
	case http.StatusBadGateway:
		return KindUpstream
	case http.StatusTooManyRequests:
		return KindRateLimited
	case http.StatusServiceUnavailable:
		return KindUnavailable
	case http.StatusRequestEntityTooLarge, http.StatusRequestHeaderFieldsTooLarge:
		return KindTooLarge
	}
	if status >= 400 && status < 500 {
		return KindInvalid
	}
	return KindInternal
}

// Error is a failure told to a person.
type Error struct {
	Kind Kind
	// Message says what went wrong, as a sentence the person reads.
	Message string
	// Hint says what to do about it (may be empty).
	Hint string
	// Field names the form field the error is about (may be empty).
	Field string
	// Status, when not 0, overrides the kind's HTTP status.
	Status int
	// RetryAfter, when not 0, is how long to wait before trying again.
	RetryAfter time.Duration
	// Err is the cause, for errors.Is and the log; never shown.
	Err error
}

// Error returns the message (the kind when there is none).
func (e *Error) Error() string {
	if e.Message == "" {
		return string(e.Kind)
	}
	return e.Message
}

// Unwrap returns the cause.
func (e *Error) Unwrap() error { return e.Err }

// StatusCode is the HTTP status of e: Status when set, else its kind's.
func (e *Error) StatusCode() int {
	if e.Status != 0 {
		return e.Status
	}
	return e.Kind.Status()
}

// Errorf is an error of kind k with a formatted message. The arguments
// are formatted as values: an error's text put into a message this way is
// shown to the person, so pass only person-safe values.
func Errorf(k Kind, format string, args ...any) *Error {
	return &Error{Kind: k, Message: fmt.Sprintf(format, args...)}
}

// Invalid is an error about the value of a form field.
func Invalid(field, msg string) *Error {
	return &Error{Kind: KindInvalid, Field: field, Message: msg}
}

// NotFound says there is no such what ("run in this session's history").
func NotFound(what string) *Error {
	return &Error{Kind: KindNotFound, Message: "No such " + what + "."}
}

// Teller is a domain error that says what it is to a person.
type Teller interface {
	Problem() *Error
}

// Of reads err as a problem: a *Error in its chain as it is, else the
// problem a Teller in its chain tells, else an internal error with a
// fixed message (the cause kept in Err). Of(nil) is nil.
func Of(err error) *Error {
	if err == nil {
		return nil
	}
	var p *Error
	if errors.As(err, &p) {
		return p
	}
	var t Teller
	if errors.As(err, &t) {
		if p := t.Problem(); p != nil {
			return p
		}
	}
	return &Error{Kind: KindInternal, Message: InternalMessage, Err: err}
}

// KindOf is the kind of err ("" for nil).
func KindOf(err error) Kind {
	if err == nil {
		return ""
	}
	return Of(err).Kind
}

// StatusOf is the HTTP status of err (200 for nil).
func StatusOf(err error) int {
	if err == nil {
		return http.StatusOK
	}
	return Of(err).StatusCode()
}
