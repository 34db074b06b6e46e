// Package kubeschema validates Kubernetes objects against strict JSON
// schemas, picking the schema by the object's apiVersion and kind. Tests
// load the full set kept on disk (testdata/schemas); Builtin is the part
// apkgen ships for checking what charts render. Nothing is fetched.
package kubeschema

import (
	"bytes"
	"embed"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"sort"
	"strings"

	"github.com/santhosh-tekuri/jsonschema/v6"
)

// ErrNoSchema is wrapped by Validate when the set has no schema for the
// object's apiVersion and kind.
var ErrNoSchema = errors.New("no schema")

// Set holds the schemas of one folder, keyed by "apiVersion kind".
type Set struct {
	c        *jsonschema.Compiler
	urls     map[string]string
	compiled map[string]*jsonschema.Schema
}

//go:embed builtin/*.json
var builtin embed.FS

// Builtin returns the schemas apkgen ships: those of the kinds charts
// render that testdata/schemas has (core v1 ConfigMap, Namespace, Secret,
// Service; cert-manager Certificate and Issuer), copied from there.
func Builtin() (*Set, error) { return LoadFS(builtin, "builtin") }

// Load reads every *.json file of dir. Each schema must pin apiVersion and
// kind with a one-value enum, as gen_schemas.py writes them; that is the key,
// so file names do not matter.
func Load(dir string) (*Set, error) {
	s, err := LoadFS(os.DirFS(dir), ".")
	if err != nil {
		return nil, fmt.Errorf("%s: %w", dir, err)
	}
	return s, nil
}

// LoadFS is Load on a file system.
func LoadFS(fsys fs.FS, dir string) (*Set, error) {
	files, err := fs.Glob(fsys, path.Join(dir, "*.json"))
	if err != nil {
		return nil, err
	}
	if len(files) == 0 {
		return nil, fmt.Errorf("no *.json schemas")
	}
	s := &Set{c: jsonschema.NewCompiler(), urls: map[string]string{}, compiled: map[string]*jsonschema.Schema{}}
	for _, f := range files {
		b, err := fs.ReadFile(fsys, f)
		if err != nil {
			return nil, err
		}
		doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(b))
		if err != nil {
			return nil, fmt.Errorf("%s: %w", f, err)
		}
		api, kind := pinned(doc, "apiVersion"), pinned(doc, "kind")
		if api == "" || kind == "" {
			return nil, fmt.Errorf("%s: apiVersion and kind are not pinned with a one-value enum", f)
		}
		key := api + " " + kind
		if prev, ok := s.urls[key]; ok {
			return nil, fmt.Errorf("%s: %s is also in %s", f, key, prev)
		}
		url := "file:///" + filepath.Base(f)
		if err := s.c.AddResource(url, doc); err != nil {
			return nil, err
		}
		s.urls[key] = url
	}
	return s, nil
}

// pinned returns properties.<name>.enum[0] when the enum has one value.
func pinned(doc any, name string) string {
	m, _ := doc.(map[string]any)
	props, _ := m["properties"].(map[string]any)
	p, _ := props[name].(map[string]any)
	enum, _ := p["enum"].([]any)
	if len(enum) != 1 {
		return ""
	}
	s, _ := enum[0].(string)
	return s
}

// Kinds lists the keys ("apiVersion kind") the set has schemas for, sorted.
func (s *Set) Kinds() []string {
	keys := make([]string, 0, len(s.urls))
	for k := range s.urls {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// Schema compiles, once, the schema of an apiVersion and kind.
func (s *Set) Schema(apiVersion, kind string) (*jsonschema.Schema, error) {
	key := apiVersion + " " + kind
	if sch, ok := s.compiled[key]; ok {
		return sch, nil
	}
	url, ok := s.urls[key]
	if !ok {
		return nil, fmt.Errorf("%s %s: %w", apiVersion, kind, ErrNoSchema)
	}
	sch, err := s.c.Compile(url)
	if err != nil {
		return nil, fmt.Errorf("compile %s: %w", url, err)
	}
	s.compiled[key] = sch
	return sch, nil
}

// Validate checks one object, given as decoded YAML or JSON. It goes through
// JSON first, so what is checked is what the API server would receive.
func (s *Set) Validate(obj any) error {
	b, err := json.Marshal(obj)
	if err != nil {
		return err
	}
	inst, err := jsonschema.UnmarshalJSON(bytes.NewReader(b))
	if err != nil {
		return err
	}
	m, _ := inst.(map[string]any)
	api, _ := m["apiVersion"].(string)
	kind, _ := m["kind"].(string)
	meta, _ := m["metadata"].(map[string]any)
	name, _ := meta["name"].(string)
	sch, err := s.Schema(api, kind)
	if err != nil {
		return err
	}
	err = sch.Validate(inst)
	var verr *jsonschema.ValidationError
	if errors.As(err, &verr) {
		return fmt.Errorf("%s %s %q:%s", api, kind, name, causes(verr))
	}
	return err
}

// causes flattens a validation error into one line per failing place, the
// innermost ones, which say what is wrong where.
func causes(e *jsonschema.ValidationError) string {
	var lines []string
	for _, u := range e.BasicOutput().Errors {
		if u.Error == nil || strings.HasPrefix(u.Error.String(), "validation failed") {
			continue
		}
		loc := u.InstanceLocation
		if loc == "" {
			loc = "/"
		}
		lines = append(lines, fmt.Sprintf("\n  at %s: %s", loc, u.Error))
	}
	sort.Strings(lines)
	return strings.Join(lines, "")
}
