package catalog

import (
	"fmt"
	"regexp"
	"strings"
)

// Header is one extra request header of a provider: header-routed gateways
// (Portkey's x-portkey-provider), attribution (OpenRouter's HTTP-Referer,
// X-Title). Value may name environment variables as ${VAR}, read from the
// operator's environment (for a provider a person adds, from the values
// they entered, which the session keeps). A Secret header's value never
// appears in a curl command, the inspector or the history: they show it as
// $VAR.
type Header struct {
	Name   string `json:"name"`
	Value  string `json:"value"`
	Secret bool   `json:"secret,omitempty"`
}

// Limits of extra headers.
const (
	MaxHeaders         = 8
	MaxHeaderNameLen   = 64
	MaxHeaderValueLen  = 1024
	maxHeaderTotalSize = 4096
)

// reserved are the headers the playground sets itself (or the transport
// does); no provider may override them.
var reserved = map[string]bool{
	"authorization": true, "proxy-authorization": true, "host": true, "content-length": true,
	"content-type": true, "accept": true, "accept-encoding": true, "transfer-encoding": true,
	"connection": true, "keep-alive": true, "upgrade": true, "te": true, "trailer": true,
	"expect": true, "cookie": true, "proxy-connection": true,
}

var (
	tokenRE  = regexp.MustCompile("^[!#$%&'*+.^_`|~0-9A-Za-z-]+$")
	headerRE = regexp.MustCompile(`\$\{([^}]*)\}`)
)

// CheckHeaderName says what is wrong with a header name, or "".
func CheckHeaderName(name string) string {
	switch {
	case name == "":
		return "Enter the header's name."
	case len(name) > MaxHeaderNameLen:
		return fmt.Sprintf("A header name is at most %d characters.", MaxHeaderNameLen)
	case !tokenRE.MatchString(name):
		return fmt.Sprintf("%q is not a header name: letters, digits and - only (no spaces, colons or line breaks).", name)
	case reserved[strings.ToLower(name)]:
		return fmt.Sprintf("%s is set by the playground itself and cannot be overridden.", name)
	}
	return ""
}

// CheckHeaderValue says what is wrong with a header value, or "" (max is
// its longest length in bytes).
func CheckHeaderValue(value string, max int) string {
	if len(value) > max {
		return fmt.Sprintf("A header value is at most %d characters.", max)
	}
	for _, r := range value {
		if r == '\r' || r == '\n' {
			return "A header value is one line: no line breaks."
		}
		if r < 0x20 && r != '\t' || r == 0x7f {
			return "A header value has no control characters."
		}
	}
	return ""
}

// HeaderVars lists the ${VAR} names a value refers to; it fails on a ${…}
// that does not hold a variable name.
func HeaderVars(value string) ([]string, error) {
	var vars []string
	for _, m := range headerRE.FindAllStringSubmatch(value, -1) {
		if !envRE.MatchString(m[1]) {
			return nil, fmt.Errorf("${%s} is not an environment variable name like ACME_TOKEN", m[1])
		}
		vars = append(vars, m[1])
	}
	return vars, nil
}

// ExpandHeader replaces each ${VAR} of value with lookup(VAR); missing
// lists the variables lookup gave no value for.
func ExpandHeader(value string, lookup func(string) string) (out string, missing []string) {
	out = headerRE.ReplaceAllStringFunc(value, func(ref string) string {
		name := ref[2 : len(ref)-1]
		v := ""
		if lookup != nil {
			v = lookup(name)
		}
		if v == "" {
			missing = append(missing, name)
		}
		return v
	})
	return out, missing
}

// HeaderParts splits value into its literal text and ${VAR} references,
// in order: the parts at odd indexes are variable names. A curl command
// quotes the literals and leaves the variables to the shell.
func HeaderParts(value string) []string {
	var parts []string
	last := 0
	for _, loc := range headerRE.FindAllStringSubmatchIndex(value, -1) {
		parts = append(parts, value[last:loc[0]], value[loc[2]:loc[3]])
		last = loc[1]
	}
	return append(parts, value[last:])
}

// validateHeaders checks a catalog provider's headers.
func validateHeaders(path string, hs []Header) []error {
	var errs []error
	if len(hs) > MaxHeaders {
		errs = append(errs, errorf(path, "at most %d headers", MaxHeaders))
	}
	seen := map[string]bool{}
	total := 0
	for i, h := range hs {
		hp := fmt.Sprintf("%s[%d]", path, i)
		if msg := CheckHeaderName(h.Name); msg != "" {
			errs = append(errs, errorf(hp+".name", "%s", msg))
		}
		if seen[strings.ToLower(h.Name)] {
			errs = append(errs, errorf(hp+".name", "duplicate header %q", h.Name))
		}
		seen[strings.ToLower(h.Name)] = true
		if msg := CheckHeaderValue(h.Value, MaxHeaderValueLen); msg != "" {
			errs = append(errs, errorf(hp+".value", "%s", msg))
		}
		total += len(h.Name) + len(h.Value)
		vars, err := HeaderVars(h.Value)
		switch {
		case err != nil:
			errs = append(errs, errorf(hp+".value", "%v", err))
		case h.Secret && len(vars) == 0:
			errs = append(errs, errorf(hp+".value", "a secret header takes its value from the environment: write ${VAR}"))
		}
		for _, v := range vars {
			if strings.HasPrefix(v, OwnKeyEnvPrefix) {
				errs = append(errs, errorf(hp+".value", "${%s}: variables starting with %s name what people enter for their own providers", v, OwnKeyEnvPrefix))
			}
		}
	}
	if total > maxHeaderTotalSize {
		errs = append(errs, errorf(path, "the headers take more than %d bytes", maxHeaderTotalSize))
	}
	return errs
}
