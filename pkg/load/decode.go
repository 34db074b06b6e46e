package load

import (
	"bytes"
	"errors"

	"cuelang.org/go/cue"

	"github.com/apkgen/apkgen/internal/jsonnum"
	"github.com/apkgen/apkgen/pkg/model"
)

// An evaluated environment leaves CUE as JSON: the JSON is what the cache
// stores, so that an environment read from the cache and one evaluated now
// go through the same decoding and give the same Go values.

// evaluated is a pattern's input and output.
type evaluated struct {
	In  model.Input  `json:"in"`
	Out model.Output `json:"out"`
}

// exportEnv writes an evaluated pattern's `in` and `out` as JSON.
func exportEnv(in, out cue.Value) ([]byte, error) {
	inJSON, err := in.MarshalJSON()
	if err != nil {
		return nil, err
	}
	outJSON, err := out.MarshalJSON()
	if err != nil {
		return nil, err
	}
	var b bytes.Buffer
	b.Grow(len(inJSON) + len(outJSON) + 16)
	b.WriteString(`{"in":`)
	b.Write(inJSON)
	b.WriteString(`,"out":`)
	b.Write(outJSON)
	b.WriteString("}")
	return b.Bytes(), nil
}

// decodeEnv reads exportEnv's JSON, numbers as cue.Value.Decode makes
// them.
// Every pattern computes at least one release: an entry without any is
// not an evaluation (a stale or damaged cache entry), and is refused.
func decodeEnv(data []byte) (*evaluated, error) {
	var ev evaluated
	if err := jsonnum.Unmarshal(data, &ev); err != nil {
		return nil, err
	}
	if len(ev.Out.Releases) == 0 {
		return nil, errors.New("an evaluated environment without releases")
	}
	return &ev, nil
}
