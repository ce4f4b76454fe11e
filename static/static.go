// Package static embeds the built and vendored assets: Tailwind's CSS, htmx
// and the page script. They are build output (npm run build), committed so
// that go build needs no Node.
package static

import (
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"io/fs"
)

//go:embed css js img
var files embed.FS

// FS is the asset tree: css/app.css, js/app.js, js/theme.js, js/htmx.min.js,
// img/favicon.svg.
func FS() fs.FS { return files }

// URL returns the cache-busting URL of an asset under prefix, with a short
// content hash in the query, or "" if the asset does not exist.
func URL(prefix, name string) string {
	b, err := files.ReadFile(name)
	if err != nil {
		return ""
	}
	sum := sha256.Sum256(b)
	return prefix + "/" + name + "?v=" + hex.EncodeToString(sum[:6])
}
