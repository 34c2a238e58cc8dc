package explorer

import (
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"io/fs"
	"mime"
	"net/http"
	"path"
	"strings"

	"github.com/cometbft/cometbft/libs/log"
)

// Path is where the explorer is mounted on the ledger API's address.
const Path = "/explorer/"

//go:embed static
var staticFiles embed.FS

// Options configures the explorer.
type Options struct {
	// Chain answers the read-only CometBFT queries; required.
	Chain Chain
	// Names are the names the genesis gives to accounts and validators,
	// for the search box and for labels.
	Names []Name
	// MaxSubscribers bounds the websockets subscribed to new blocks at once
	// (0: DefaultMaxSubscribers).
	MaxSubscribers int
	// ReadLimit bounds a websocket message in bytes (0: no limit of ours).
	ReadLimit int64
	// Logger logs websocket and query failures (nil: none).
	Logger log.Logger
}

// DefaultMaxSubscribers is the default bound on live-update websockets.
const DefaultMaxSubscribers = 100

// Name is a name the genesis gives to an address.
type Name struct {
	Name    string `json:"name"`
	Address string `json:"address"` // tally1... for accounts, upper-case hex for validators
	Kind    string `json:"kind"`    // "account" or "validator"
}

// New returns the explorer's handler, to be mounted at Path.
func New(o Options) http.Handler {
	if o.Logger == nil {
		o.Logger = log.NewNopLogger()
	}
	if o.MaxSubscribers <= 0 {
		o.MaxSubscribers = DefaultMaxSubscribers
	}
	sub, err := fs.Sub(staticFiles, "static")
	if err != nil {
		panic(err) // the embedded tree always has static/
	}
	mux := http.NewServeMux()
	q := newQueries(o)
	mux.Handle(Path+"rpc/", noStore(http.StripPrefix(Path+"rpc", q.rpcHandler())))
	mux.Handle(Path+"websocket", q.websocketHandler())
	mux.Handle(Path, newStaticHandler(sub))
	return mux
}

// staticHandler serves the embedded files with their content type, a
// content hash as ETag and Cache-Control: no-cache, so that a browser
// revalidates (a cheap 304) and never runs the pages of an older tallyd.
type staticHandler struct {
	files map[string]staticFile
}

type staticFile struct {
	body        []byte
	contentType string
	etag        string
}

func newStaticHandler(root fs.FS) *staticHandler {
	h := &staticHandler{files: map[string]staticFile{}}
	err := fs.WalkDir(root, ".", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := fs.ReadFile(root, p)
		if err != nil {
			return err
		}
		ct := contentTypes[path.Ext(p)]
		if ct == "" {
			ct = mime.TypeByExtension(path.Ext(p))
		}
		if ct == "" {
			ct = "application/octet-stream"
		}
		if strings.HasPrefix(ct, "text/") && !strings.Contains(ct, "charset") {
			ct += "; charset=utf-8"
		}
		sum := sha256.Sum256(b)
		h.files[p] = staticFile{body: b, contentType: ct, etag: `"` + hex.EncodeToString(sum[:12]) + `"`}
		return nil
	})
	if err != nil {
		panic(err) // reading an embed.FS does not fail
	}
	return h
}

// contentTypes the embedded files need, whatever the system's MIME tables say.
var contentTypes = map[string]string{
	".html": "text/html; charset=utf-8",
	".css":  "text/css; charset=utf-8",
	".js":   "text/javascript; charset=utf-8",
	".svg":  "image/svg+xml",
	".png":  "image/png",
	".ico":  "image/x-icon",
}

func (h *staticHandler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		w.Header().Set("Allow", "GET, HEAD")
		http.Error(w, "the explorer is read-only: GET or HEAD", http.StatusMethodNotAllowed)
		return
	}
	name := strings.TrimPrefix(r.URL.Path, Path)
	if name == "" {
		name = "index.html"
	}
	f, ok := h.files[name]
	if !ok {
		http.Error(w, "no such file in the explorer: "+name, http.StatusNotFound)
		return
	}
	hd := w.Header()
	hd.Set("Content-Type", f.contentType)
	hd.Set("ETag", f.etag)
	hd.Set("Cache-Control", "no-cache")
	hd.Set("X-Content-Type-Options", "nosniff")
	hd.Set("Referrer-Policy", "no-referrer")
	if name == "index.html" {
		hd.Set("Content-Security-Policy", contentSecurityPolicy)
		hd.Set("X-Frame-Options", "DENY")
	}
	if etagMatches(r.Header.Get("If-None-Match"), f.etag) {
		w.WriteHeader(http.StatusNotModified)
		return
	}
	if r.Method == http.MethodHead {
		return
	}
	w.Write(f.body) //nolint:errcheck // nothing to do if the client went away
}

// contentSecurityPolicy lets the page load only its own files and talk only
// to its own origin.
const contentSecurityPolicy = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; " +
	"connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"

func etagMatches(header, etag string) bool {
	for _, t := range strings.Split(header, ",") {
		t = strings.TrimSpace(strings.TrimPrefix(strings.TrimSpace(t), "W/"))
		if t == etag || t == "*" {
			return true
		}
	}
	return false
}

// noStore marks the answers of h as not to be cached: they change with
// every block.
func noStore(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Cache-Control", "no-store")
		h.ServeHTTP(w, r)
	})
}
