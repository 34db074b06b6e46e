package render

import (
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"sort"
	"strings"
	"text/template/parse"

	"helm.sh/helm/v3/pkg/chart"
)

// Helm's template functions include random ones (sprig's randAlphaNum,
// genCA, uuidv4, now, …): `helm template` gives other bytes at every run.
// Helm's engine takes no function overrides, so apkgen rewrites the calls
// in the chart's template sources before rendering, into calls of
// functions that are deterministic, with a seed made of the release name,
// namespace, template path and the call's byte offset:
//
//   - randAlphaNum, randAlpha, randNumeric, randAscii, randBytes N give N
//     characters of the right alphabet, from a pool hashed from the seed
//     (`printf "%.[2]*[1]s" "<pool>" N`; at most 256 characters);
//   - randInt MIN MAX gives MIN; shuffle S gives S;
//   - uuidv4 gives a version-4 UUID hashed from the seed; now gives
//     2000-01-01T00:00:00Z; ago gives "0s";
//   - genCA, genCAWithKey, genSelfSignedCert(WithKey), genSignedCert(WithKey)
//     give a map with Cert and Key placeholders, genPrivateKey, bcrypt,
//     htpasswd and encryptAES placeholder strings. They are not valid
//     keys: a Secret rendered from them must not be applied as it is.
//
// Two renders of the same release are so byte-identical, and two releases
// of a cluster do not get the same "random" names (the seed names no
// cluster: the same release on two clusters gets the same). A call that only a `tpl` string
// holds (text from values) is not rewritten.
type rewrite struct {
	niladic bool // takes no argument: the replacement stands anywhere
	with    func(seed []byte) string
}

const (
	alnum    = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"
	alpha    = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
	numeric  = "0123456789"
	base64ch = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"
	poolLen  = 256
)

// truncated takes the call's count argument as the precision of %s.
func truncated(alphabet string) func([]byte) string {
	return func(seed []byte) string {
		return fmt.Sprintf(`printf "%%.[2]*[1]s" %q`, pool(seed, alphabet, poolLen))
	}
}

// placeholder prints a fixed text and drops the call's n arguments.
func placeholder(what string, n int) func([]byte) string {
	return func(seed []byte) string {
		format := "%[1]s"
		for i := 2; i <= n+1; i++ {
			format += fmt.Sprintf("%%.0[%d]v", i)
		}
		return fmt.Sprintf("printf %q %q", format, "APKGEN-PLACEHOLDER-"+what+"-"+hex.EncodeToString(seed[:8]))
	}
}

// certificate gives what genCA and friends return: a value with Cert and
// Key. The call's arguments become extra, unused keys of the dict.
func certificate(seed []byte) string {
	id := hex.EncodeToString(seed[:8])
	return fmt.Sprintf(`dict "Cert" "APKGEN-PLACEHOLDER-CERTIFICATE-%s" "Key" "APKGEN-PLACEHOLDER-PRIVATE-KEY-%s" "_"`, id, id)
}

var rewrites = map[string]rewrite{
	"randAlphaNum": {with: truncated(alnum)},
	"randAlpha":    {with: truncated(alpha)},
	"randNumeric":  {with: truncated(numeric)},
	"randAscii":    {with: truncated(alnum)},
	"randBytes":    {with: truncated(base64ch)},
	"randInt":      {with: func([]byte) string { return "min" }},
	"shuffle":      {with: func([]byte) string { return "print" }},
	"uuidv4":       {niladic: true, with: func(seed []byte) string { return fmt.Sprintf("(print %q)", uuid(seed)) }},
	"now": {niladic: true, with: func([]byte) string {
		return `(toDate "2006-01-02T15:04:05Z07:00" "2000-01-01T00:00:00Z")`
	}},
	"ago":                      {with: func([]byte) string { return `printf "0s%.0[1]v"` }},
	"genPrivateKey":            {with: placeholder("PRIVATE-KEY", 1)},
	"bcrypt":                   {with: placeholder("BCRYPT", 1)},
	"encryptAES":               {with: placeholder("ENCRYPTED", 2)},
	"htpasswd":                 {with: func(seed []byte) string { return htpasswd(seed) }},
	"genCA":                    {with: certificate},
	"genCAWithKey":             {with: certificate},
	"genSelfSignedCert":        {with: certificate},
	"genSelfSignedCertWithKey": {with: certificate},
	"genSignedCert":            {with: certificate},
	"genSignedCertWithKey":     {with: certificate},
}

func htpasswd(seed []byte) string {
	return fmt.Sprintf(`printf "%%[2]s:%%[1]s%%.0[3]v" %q`, "APKGEN-PLACEHOLDER-HASH-"+hex.EncodeToString(seed[:8]))
}

// pool expands the seed into n characters of the alphabet.
func pool(seed []byte, alphabet string, n int) string {
	var b strings.Builder
	for block := uint32(0); b.Len() < n; block++ {
		var ctr [4]byte
		binary.BigEndian.PutUint32(ctr[:], block)
		sum := sha256.Sum256(append(append([]byte{}, seed...), ctr[:]...))
		for _, c := range sum {
			if b.Len() == n {
				break
			}
			b.WriteByte(alphabet[int(c)%len(alphabet)])
		}
	}
	return b.String()
}

func uuid(seed []byte) string {
	sum := sha256.Sum256(append([]byte("uuid"), seed...))
	u := sum[:16]
	u[6] = u[6]&0x0f | 0x40
	u[8] = u[8]&0x3f | 0x80
	h := hex.EncodeToString(u)
	return h[0:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:32]
}

// makeDeterministic rewrites the random calls of every template of the
// chart and its sub-charts. salt makes the seeds (release and namespace).
func makeDeterministic(ch *chart.Chart, salt string) {
	var walk func(c *chart.Chart, prefix string)
	walk = func(c *chart.Chart, prefix string) {
		for _, f := range c.Templates {
			name := prefix + f.Name
			f.Data = []byte(rewriteTemplate(name, string(f.Data), salt))
		}
		for _, d := range c.Dependencies() {
			walk(d, prefix+"charts/"+d.Name()+"/")
		}
	}
	walk(ch, ch.Name()+"/")
}

// rewriteTemplate replaces the calls of random functions in one template's
// source. A template that does not parse is left as it is, for Helm to
// report.
func rewriteTemplate(name, text, salt string) string {
	if !strings.Contains(text, "{{") {
		return text
	}
	treeSet := map[string]*parse.Tree{}
	t := parse.New(name)
	t.Mode = parse.SkipFuncCheck
	if _, err := t.Parse(text, "", "", treeSet); err != nil {
		return text
	}
	type site struct {
		pos   int
		ident string
		first bool // the command's function, not an argument
	}
	found := map[int]site{}
	var visit func(n parse.Node, first bool)
	visit = func(n parse.Node, first bool) {
		switch n := n.(type) {
		case *parse.ListNode:
			if n == nil {
				return
			}
			for _, c := range n.Nodes {
				visit(c, false)
			}
		case *parse.ActionNode:
			visit(n.Pipe, false)
		case *parse.IfNode:
			visitBranch(&n.BranchNode, visit)
		case *parse.RangeNode:
			visitBranch(&n.BranchNode, visit)
		case *parse.WithNode:
			visitBranch(&n.BranchNode, visit)
		case *parse.TemplateNode:
			if n.Pipe != nil {
				visit(n.Pipe, false)
			}
		case *parse.PipeNode:
			if n == nil {
				return
			}
			for _, c := range n.Cmds {
				visit(c, false)
			}
		case *parse.CommandNode:
			for i, a := range n.Args {
				visit(a, i == 0)
			}
		case *parse.ChainNode:
			visit(n.Node, false)
		case *parse.IdentifierNode:
			if _, ok := rewrites[n.Ident]; ok {
				found[int(n.Pos)] = site{pos: int(n.Pos), ident: n.Ident, first: first}
			}
		}
	}
	names := make([]string, 0, len(treeSet))
	for k := range treeSet {
		names = append(names, k)
	}
	sort.Strings(names)
	for _, k := range names {
		if tr := treeSet[k]; tr != nil && tr.Root != nil {
			visit(tr.Root, false)
		}
	}
	if len(found) == 0 {
		return text
	}
	sites := make([]site, 0, len(found))
	for _, s := range found {
		sites = append(sites, s)
	}
	sort.Slice(sites, func(i, j int) bool { return sites[i].pos > sites[j].pos })
	out := text
	for _, s := range sites {
		rw := rewrites[s.ident]
		if !rw.niladic && !s.first {
			continue // a bad call: Helm reports it
		}
		if s.pos+len(s.ident) > len(out) || out[s.pos:s.pos+len(s.ident)] != s.ident {
			continue
		}
		seed := sha256.Sum256([]byte(fmt.Sprintf("%s\x00%s\x00%d", salt, name, s.pos)))
		out = out[:s.pos] + rw.with(seed[:]) + out[s.pos+len(s.ident):]
	}
	return out
}

func visitBranch(b *parse.BranchNode, visit func(parse.Node, bool)) {
	visit(b.Pipe, false)
	visit(b.List, false)
	if b.ElseList != nil {
		visit(b.ElseList, false)
	}
}
