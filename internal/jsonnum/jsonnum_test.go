package jsonnum

import (
	"math/big"
	"reflect"
	"testing"
)

func TestUnmarshalKeepsIntegers(t *testing.T) {
	type inner struct{ N any }
	var got struct {
		Any     any
		Map     map[string]any
		Structs map[string]inner
		List    []any
	}
	data := `{"Any": {"a": [1, 1.5, 1e2, -3, 92233720368547758070, null, "s", true]},
		"Map": {"x": 7}, "Structs": {"k": {"N": 8}}, "List": [9, {"y": 10}]}`
	if err := Unmarshal([]byte(data), &got); err != nil {
		t.Fatal(err)
	}
	huge, _ := new(big.Int).SetString("92233720368547758070", 10)
	want := []any{int64(1), 1.5, float64(100), int64(-3), huge, nil, "s", true}
	if a := got.Any.(map[string]any)["a"]; !reflect.DeepEqual(a, want) {
		t.Errorf("Any = %#v, want %#v", a, want)
	}
	if got.Map["x"] != int64(7) || got.Structs["k"].N != int64(8) {
		t.Errorf("Map = %#v, Structs = %#v", got.Map, got.Structs)
	}
	if got.List[0] != int64(9) || got.List[1].(map[string]any)["y"] != int64(10) {
		t.Errorf("List = %#v", got.List)
	}
}
