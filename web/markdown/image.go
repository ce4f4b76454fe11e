package markdown

import (
	"bufio"
	"bytes"
	"net/url"
	"regexp"
	"strings"
	"unicode/utf8"

	"github.com/yuin/goldmark/ast"
	"github.com/yuin/goldmark/parser"
	"github.com/yuin/goldmark/renderer"
	"github.com/yuin/goldmark/renderer/html"
	"github.com/yuin/goldmark/text"
	"github.com/yuin/goldmark/util"
)

// Images in model output are the one way its HTML could make the browser
// fetch something by itself: a prompt-injected answer could put the
// conversation into an image URL, and every viewer of a share link would
// send their address to that host. So only images whose data is inline
// (InlineImage) become <img>; every other image becomes a link the person
// may click, labelled with what and where it is, and the page's CSP
// (img-src 'self' data:) refuses the rest.

// LinkRel is the rel of every link in model output and of the links that
// open a person's remote image: no opener, no referrer, no endorsement.
const LinkRel = "noopener noreferrer nofollow"

// inlineImageRE matches data: URLs of raster image types: inline data (no
// fetch) that browsers decode as a picture. SVG is left out: it is a
// document, not a picture.
var inlineImageRE = regexp.MustCompile(`(?i)^data:image/(png|gif|jpeg|webp|avif)[;,]`)

// InlineImage reports whether an image URL may be shown as an <img>: a
// data: URL of a raster image type, which the browser decodes without
// fetching anything.
func InlineImage(u string) bool { return inlineImageRE.MatchString(u) }

// LinkableURL reports whether a URL may be the href of a link from model
// output or of a person's image: an absolute http(s) URL with a host.
func LinkableURL(u string) bool {
	p, err := url.Parse(u)
	return err == nil && (p.Scheme == "http" || p.Scheme == "https") && p.Host != ""
}

// maxShown bounds the part of a URL an image link shows (the whole URL is
// its href).
const maxShown = 60

// ShowURL is the short form of a URL shown in place of an image:
// host/path, cut to maxShown characters, with "?…" when it has a query
// (that is where exfiltrated data would sit). Other URLs are cut the same.
func ShowURL(u string) string {
	s := u
	suffix := ""
	if p, err := url.Parse(u); err == nil && p.Host != "" && (p.Scheme == "http" || p.Scheme == "https") {
		s = p.Host + p.EscapedPath()
		if p.RawQuery != "" || p.ForceQuery {
			suffix = "?…"
		}
	} else if i := strings.IndexAny(s, ";,"); strings.HasPrefix(strings.ToLower(s), "data:") && i > 0 {
		s = s[:i] // data:image/svg+xml, not its payload
	}
	if utf8.RuneCountInString(s) > maxShown {
		r := []rune(s)
		s = string(r[:maxShown-1]) + "…"
		suffix = ""
	}
	return s + suffix
}

// imageRenderer renders ast.Image in place of goldmark's <img>.
type imageRenderer struct{}

func (imageRenderer) RegisterFuncs(reg renderer.NodeRendererFuncRegisterer) {
	reg.Register(ast.KindImage, renderImage)
}

func renderImage(w util.BufWriter, source []byte, node ast.Node, entering bool) (ast.WalkStatus, error) {
	if !entering {
		return ast.WalkContinue, nil
	}
	n := node.(*ast.Image)
	dest := string(n.Destination)
	alt := altHTML(source, n)
	if InlineImage(dest) {
		_, _ = w.WriteString(`<img src="`)
		_, _ = w.Write(util.EscapeHTML(util.URLEscape(n.Destination, true)))
		_, _ = w.WriteString(`" alt="`)
		_, _ = w.Write(alt)
		_ = w.WriteByte('"')
		writeTitle(w, n.Title)
		_ = w.WriteByte('>')
		return ast.WalkSkipChildren, nil
	}
	// A link inside a link is not HTML: inside one, or without a safe
	// URL, the image is only its label.
	link := LinkableURL(dest) && !inLink(n)
	if link {
		_, _ = w.WriteString(`<a class="md-image" href="`)
		_, _ = w.Write(util.EscapeHTML(util.URLEscape(n.Destination, true)))
		_, _ = w.WriteString(`" target="_blank" rel="` + LinkRel + `"`)
	} else {
		_, _ = w.WriteString(`<span class="md-image"`)
	}
	if n.Title != nil {
		writeTitle(w, n.Title)
	} else if link {
		_, _ = w.WriteString(` title="Not loaded here: opens the image in a new tab"`)
	}
	_, _ = w.WriteString(`>image`)
	if len(alt) > 0 {
		_, _ = w.WriteString(": ")
		_, _ = w.Write(alt)
	}
	if dest != "" {
		_, _ = w.WriteString(" — ")
		_, _ = w.Write(util.EscapeHTML([]byte(ShowURL(dest))))
	}
	if link {
		_, _ = w.WriteString("</a>")
	} else {
		_, _ = w.WriteString("</span>")
	}
	return ast.WalkSkipChildren, nil
}

func writeTitle(w util.BufWriter, title []byte) {
	if title == nil {
		return
	}
	_, _ = w.WriteString(` title="`)
	html.DefaultWriter.Write(w, title)
	_ = w.WriteByte('"')
}

// altHTML is the escaped plain text of an image's description, its line
// breaks made spaces.
func altHTML(source []byte, n ast.Node) []byte {
	var buf bytes.Buffer
	bw := bufio.NewWriter(&buf)
	var walk func(ast.Node)
	walk = func(p ast.Node) {
		for c := p.FirstChild(); c != nil; c = c.NextSibling() {
			switch c := c.(type) {
			case *ast.Text:
				html.DefaultWriter.Write(bw, c.Value(source))
				if c.SoftLineBreak() || c.HardLineBreak() {
					_ = bw.WriteByte(' ')
				}
			case *ast.String:
				html.DefaultWriter.Write(bw, c.Value)
			default:
				walk(c)
			}
		}
	}
	walk(n)
	_ = bw.Flush()
	return bytes.TrimSpace(buf.Bytes())
}

func inLink(n ast.Node) bool {
	for p := n.Parent(); p != nil; p = p.Parent() {
		if p.Kind() == ast.KindLink || p.Kind() == ast.KindAutoLink {
			return true
		}
	}
	return false
}

// linkAttributes opens every link of model output in a new tab, with
// LinkRel: a click on a share page neither leaves the page nor vouches for
// the target.
type linkAttributes struct{}

func (linkAttributes) Transform(doc *ast.Document, _ text.Reader, _ parser.Context) {
	_ = ast.Walk(doc, func(n ast.Node, entering bool) (ast.WalkStatus, error) {
		if entering && (n.Kind() == ast.KindLink || n.Kind() == ast.KindAutoLink) {
			n.SetAttributeString("target", []byte("_blank"))
			n.SetAttributeString("rel", []byte(LinkRel))
		}
		return ast.WalkContinue, nil
	})
}
