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

func TestUnmarshalLeading(t *testing.T) {
	var a struct{ N any }
	var b []string
	fields := []Field{{"a", &a}, {"skip", nil}, {"b", &b}}
	// Only the head is read: what follows it need not even be JSON.
	if err := UnmarshalLeading([]byte(`{"a": {"N": 3}, "skip": [1, {"x": 2}], "b": ["y"], "c": not JSON`), false, fields...); err != nil {
		t.Fatal(err)
	}
	if a.N != int64(3) || !reflect.DeepEqual(b, []string{"y"}) {
		t.Errorf("a = %#v, b = %#v", a, b)
	}
	for data, whole := range map[string]bool{
		`{"a": {}, "skip": 1, "b": []}`:         true,
		`{"a": {}, "skip": 1, "b": [], "c": 2}`: false,
	} {
		if err := UnmarshalLeading([]byte(data), true, fields...); (err == nil) != whole {
			t.Errorf("whole %s: err = %v", data, err)
		}
	}
	for _, data := range []string{
		`[]`,
		`{"skip": 1, "a": {}, "b": []}`, // out of order
		`{"a": {}}`,                     // missing fields
		`{"a": {}, "skip": 1, "b": [}`,  // malformed
		`{"a": {}, "skip": 1, "b": []} {}`,
	} {
		if err := UnmarshalLeading([]byte(data), true, fields...); err == nil {
			t.Errorf("%s: no error", data)
		}
	}
}
