// Package jsonnum decodes JSON without turning integers into floats:
// encoding/json stores every number held by an `any` as a float64, which
// loses integers beyond 2^53 and their kind. Here an integer becomes an
// int64 (a *big.Int beyond its range) and any other number a float64, as
// cue.Value.Decode makes them.
package jsonnum

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/big"
	"reflect"
	"strconv"
	"strings"
)

// Unmarshal is json.Unmarshal with that treatment of numbers, wherever an
// `any` holds one under v (a pointer).
func Unmarshal(data []byte, v any) error {
	d := json.NewDecoder(bytes.NewReader(data))
	d.UseNumber()
	if err := d.Decode(v); err != nil {
		return err
	}
	fix(reflect.ValueOf(v))
	return nil
}

// Field is a field of a JSON object, for UnmarshalLeading: its name and
// the pointer to decode its value into (nil: skip the value).
type Field struct {
	Name string
	V    any
}

// UnmarshalLeading decodes the leading fields of the JSON object in data,
// which must come first and in this order, as Unmarshal decodes a value.
// Nothing after them is decoded or even scanned: a reader that needs only
// the head of a large object pays for the head. With whole, the object
// must also end after them.
func UnmarshalLeading(data []byte, whole bool, fields ...Field) error {
	d := json.NewDecoder(bytes.NewReader(data))
	d.UseNumber()
	if tok, err := d.Token(); err != nil {
		return err
	} else if tok != json.Delim('{') {
		return fmt.Errorf("want a JSON object, have %v", tok)
	}
	for _, f := range fields {
		tok, err := d.Token()
		if err != nil {
			return err
		}
		if tok != f.Name {
			return fmt.Errorf("want field %q, have %v", f.Name, tok)
		}
		if f.V == nil {
			var skip json.RawMessage
			if err := d.Decode(&skip); err != nil {
				return err
			}
			continue
		}
		if err := d.Decode(f.V); err != nil {
			return err
		}
		fix(reflect.ValueOf(f.V))
	}
	if !whole {
		return nil
	}
	if tok, err := d.Token(); err != nil {
		return err
	} else if tok != json.Delim('}') {
		return fmt.Errorf("want the end of the object, have %v", tok)
	}
	if _, err := d.Token(); err != io.EOF {
		return errors.New("data after the JSON object")
	}
	return nil
}

// fix replaces the json.Numbers held by interface values under v.
func fix(v reflect.Value) {
	switch v.Kind() {
	case reflect.Pointer:
		if !v.IsNil() {
			fix(v.Elem())
		}
	case reflect.Struct:
		for i := range v.NumField() {
			if v.Type().Field(i).IsExported() {
				fix(v.Field(i))
			}
		}
	case reflect.Slice:
		for i := range v.Len() {
			fix(v.Index(i))
		}
	case reflect.Map:
		iter := v.MapRange()
		for iter.Next() {
			e := iter.Value()
			switch e.Kind() {
			case reflect.Interface:
				if !e.IsNil() {
					v.SetMapIndex(iter.Key(), reflect.ValueOf(fixAny(e.Interface())))
				}
			case reflect.Struct: // map values cannot be changed in place
				c := reflect.New(e.Type()).Elem()
				c.Set(e)
				fix(c)
				v.SetMapIndex(iter.Key(), c)
			default:
				fix(e)
			}
		}
	case reflect.Interface:
		if !v.IsNil() {
			v.Set(reflect.ValueOf(fixAny(v.Interface())))
		}
	}
}

// fixAny does fix's work on a decoded JSON value.
func fixAny(x any) any {
	switch x := x.(type) {
	case json.Number:
		return number(string(x))
	case map[string]any:
		for k, e := range x {
			x[k] = fixAny(e)
		}
	case []any:
		for i, e := range x {
			x[i] = fixAny(e)
		}
	}
	return x
}

func number(s string) any {
	if !strings.ContainsAny(s, ".eE") {
		if i, err := strconv.ParseInt(s, 10, 64); err == nil {
			return i
		}
		if i, ok := new(big.Int).SetString(s, 10); ok {
			return i
		}
	}
	f, _ := strconv.ParseFloat(s, 64)
	return f
}
